"""``werk build``: execute the notebooks with papermill and build the book."""

from __future__ import annotations

import sys

from werk.build import pipeline


def add_arguments(p) -> None:
    p.add_argument("--data", help="data file (default: the synthetic twin, data/twin.csv)")
    p.add_argument("--mapping", help="YAML mapping of the file's variables onto the codebook")
    p.add_argument("--edition", default="all",
                   help="'all' (default) or a sector, Dutch or English: 'gemeente', 'judiciary', ...")
    p.add_argument("--all-editions", action="store_true",
                   help="build the full book and all seven sector editions, sharing warm kernels")
    p.add_argument("--pdf", action="store_true",
                   help="also build the PDF (pdflatex) into _build/pdf/book.pdf and print its path")
    p.add_argument("--force", action="store_true", help="ignore the execution cache: run every notebook")
    p.add_argument("--jobs", type=int, default=None,
                   help="notebooks run at once (default: the number of cores)")
    p.add_argument("--weighted", action="store_true", help="use the survey weights in the models")
    p.add_argument("--lang", choices=["en", "nl", "all"], default="all",
                   help="the book's language: en (_build/html), nl (_build/html-nl) or all (both, default)")


def main(args) -> int:
    if args.all_editions:
        results = pipeline.build_all(args.data, args.mapping, force=args.force, pdf=args.pdf,
                            weighted=args.weighted, lang=args.lang)
        for r in results:
            print(r)
        return 0
    results = pipeline.build_langs(args.data, args.mapping, args.edition, pdf=args.pdf, force=args.force,
                                   jobs=args.jobs, weighted=args.weighted, lang=args.lang)
    for r in results:
        print(r)
    if "nl" in pipeline.langs(args.lang):
        from werk.build import translations  # lazy: babel, only when a Dutch book was built

        left = translations.status()
        if left:
            print(f"werk build: the Dutch book has {len(left)} untranslated or fuzzy entries (shown in "
                  "English there); `make translations` updates the catalogues first:", file=sys.stderr)
            for e in left:
                print(f"  {e}", file=sys.stderr)
    return 0

