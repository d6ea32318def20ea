"""Errors a person can act on: the CLI prints the message and exits 2, never a traceback."""


class WerkError(Exception):
    """An input or build problem, with a message that says what to fix."""

    exit_code = 2


class DataError(WerkError):
    """The data file is unreadable or does not fit the codebook."""
