"""``werk validate``: check a data file against the codebook (exit 0 good, 2 bad)."""

from __future__ import annotations

from werk.core import paths
from werk.inputs import data


def add_arguments(parser) -> None:
    """Arguments of ``werk validate``."""
    parser.add_argument(
        "file", nargs="?", default=None,
        help="CSV, Dutch CSV export, parquet or SPSS .sav (default: the synthetic twin, data/twin.csv)",
    )
    parser.add_argument(
        "--mapping", "-m", help="YAML mapping of the file's names and codes (see data/mapping.example.yml)"
    )


def main(args) -> int:
    """``werk validate``: print a one-line summary and return 0, or raise DataError."""
    args.file = args.file or str(paths.TWIN)  # the project's twin, found when the command runs
    # data.check validates as data.load does, without keeping the frame: a million rows fit in memory.
    respondents, columns = data.check(args.file, args.mapping)
    print(f"{args.file}: {data.count_text(respondents, 'respondents')}, {columns} columns, valid")
    return 0
