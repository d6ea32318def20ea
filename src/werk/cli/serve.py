"""``werk serve``: serve the book on 127.0.0.1 and rebuild it, on warm kernels, whenever a source is saved."""

from __future__ import annotations

from werk.build import serve
from werk.core import paths


def add_arguments(p) -> None:
    p.add_argument("--data", help="data file (default: the synthetic twin, data/twin.csv)")
    p.add_argument("--mapping", help="YAML mapping of the file's variables onto the codebook")
    p.add_argument("--edition", default="all",
                   help="'all' (default) or a sector, Dutch or English: 'gemeente', 'judiciary', ...")
    p.add_argument("--lang", choices=["en", "nl"], default="en", help="the language of the book served")
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: a free one)")
    p.add_argument("--jobs", type=int, default=None, help="warm kernels (default: the number of cores)")


def main(args) -> int:
    return serve.serve(paths.ROOT, args.data, args.mapping, args.edition, args.lang, args.port, args.jobs)
