"""What a reader sees: tables of display strings and figures, each taking ``check=`` to apply the
output rules of :mod:`werk.disclosure` to what it shows.
"""
