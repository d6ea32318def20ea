"""The build: execute the notebooks with papermill in warm kernels (pipeline, kernels), cache their
runs (cache), stage and compile the book with Jupyter Book (pipeline, sphinx_ext, latex), and store
the nbval reference outputs (bless).
"""
