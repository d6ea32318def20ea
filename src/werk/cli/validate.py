"""``werk validate``: check a data file against the codebook (exit 0 good, 2 bad)."""

from __future__ import annotations

from werk.core import codebook, paths
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
    parser.add_argument(
        "--report", action="store_true",
        help="also print how each scale built from items is made and its reliability (alpha, omega, "
             "item-rest r, alpha if deleted; output-checked: at least 10 respondents behind every number)",
    )


def main(args) -> int:
    """``werk validate``: print a one-line summary and return 0, or raise DataError."""
    args.file = args.file or str(paths.TWIN)  # the project's twin, found when the command runs
    if not getattr(args, "report", False):
        # data.check validates as data.load does, without keeping the frame: a million rows fit in memory.
        respondents, columns = data.check(args.file, args.mapping)
        print(f"{args.file}: {data.count_text(respondents, 'respondents')}, {columns} columns, valid")
        return 0
    frame, items = data.load_items(args.file, args.mapping)
    print(f"{args.file}: {data.count_text(len(frame), 'respondents')}, {frame.shape[1]} columns, valid")
    print(report(items, args.file, args.mapping))
    return 0


def report(items: dict, file: str, mapping) -> str:
    """How each scale is made and how reliable it is, as plain text (output-checked as the book's tables)."""
    from werk.display.reliability import reliability_tables  # lazy: scipy only for --report

    if not items:
        return ("\nNo scale is built from items: the file maps ready-made scores (or give the items in the "
                "mapping's 'scales').")
    spec = data.read_mapping(mapping)["scales"]
    scales, per_item = reliability_tables(items, check=True,
                                          reverse={s: v["reverse"] for s, v in spec.items()} or None)
    per_item = per_item.drop(columns=[c for c in per_item.columns if c.startswith("wording")])
    how = []
    for scale, x in items.items():
        least = spec[scale]["min_answered"] if scale in spec else codebook.min_answered(x.shape[1])
        how.append(f"  {scale} = mean of {', '.join(x.columns)} (answered: at least {least})")

    def plain(table):
        return table.map(lambda v: str(v).replace("`", "")).to_string(index=False)

    return "\n".join(["", "Scales built from items (reverse-keyed items as low + high − answer):", *how, "",
                      plain(scales), "", "Items (respondents who answered every item of the scale):",
                      plain(per_item)])
