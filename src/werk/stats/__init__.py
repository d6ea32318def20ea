"""The statistics: the article's models, the claims ledger, the audit of the printed numbers, the
robustness fits, and the synthetic twin. Nothing here decides what may be shown.
"""
