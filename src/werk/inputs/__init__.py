"""What the analysis starts from: a data file read and validated (data), the article's claims
(claims, the model of data/published.yml), and the analysis frame of an edition (frame), kept
validated between builds (frames).
"""
