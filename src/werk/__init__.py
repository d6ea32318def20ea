"""werk: a reproducible report of the WERKonderzoek 2019 study of technology at work."""

__version__ = "0.1.0"
