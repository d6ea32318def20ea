"""``werk mapping draft FILE.sav``: write a draft mapping from an SPSS file's own labels."""

from __future__ import annotations

from pathlib import Path

from werk.core.errors import WerkError
from werk.inputs import draft


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["draft"],
                        help="'draft FILE.sav': propose a mapping from the labels")
    parser.add_argument("file", help="the SPSS .sav file")
    parser.add_argument("--out", "-o", default=None,
                        help="write the draft here (default: print it); an existing file is not overwritten")


def main(args) -> int:
    text = draft.draft(args.file)
    if args.out is None:
        print(text, end="")
        return 0
    out = Path(args.out)
    if out.exists():
        raise WerkError(f"--out {args.out}: exists; a draft never overwrites a mapping (name another file)")
    if not out.parent.is_dir():
        raise WerkError(f"--out {args.out}: folder {out.parent} does not exist")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}: check every GUESS, add every NOT FOUND, then "
          f"`werk validate {args.file} --mapping {out} --report`")
    return 0
