"""The foundation: paths, errors, the codebook, the one number formatter, digests and safe writes.

Nothing here imports another werk layer.
"""
