"""``werk translations``: update the Dutch catalogues from the English book and list what to translate."""

from __future__ import annotations

import sys

from werk.build import translations


def add_arguments(p) -> None:
    p.add_argument("--check", action="store_true",
                   help="do not update: only list the untranslated and fuzzy entries (exit 1 if any)")


def main(args) -> int:
    entries = translations.status() if args.check else translations.update()
    for e in entries:
        print(e)
    if entries:
        print(f"werk translations: {len(entries)} entries to translate or review (fuzzy) in locales/nl",
              file=sys.stderr)
        return 1 if args.check else 0
    print("werk translations: every entry of locales/nl is translated", file=sys.stderr)
    return 0
