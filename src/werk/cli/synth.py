"""``werk synth``: generate the synthetic twin, or fit its parameters to a real file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from werk.core import paths
from werk.core.errors import WerkError
from werk.inputs import data as werk_data
from werk.stats import ledger, synth


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["fit"],
                        help="'fit FILE': estimate the twin's parameters from a real file "
                             "instead of generating")
    parser.add_argument("file", nargs="?", help="the real data file (with 'fit')")
    parser.add_argument("--seed", type=int, default=None, help=f"random seed (default {synth.DEFAULT_SEED})")
    parser.add_argument("--n", type=int, default=None,
                        help=f"respondents (default {synth.DEFAULT_N} or the params' n)")
    parser.add_argument("--out", default=None,
                        help="output file (default data/twin.csv; with fit: the params YAML)")
    parser.add_argument("--params", default=None, help="parameter file (default data/twin_params.yml)")
    parser.add_argument("--mapping", default=None, help="mapping of a real file onto the codebook (with fit)")
    parser.add_argument("--report", action="store_true", help="print target beside achieved")


def _out_file(out: str) -> Path:
    """The --out path, refused up front (before minutes of work) if it cannot be a file to write."""
    path = Path(out)
    if path.is_dir():
        raise WerkError(f"--out {out}: is a directory; name the file to write, e.g. {path / 'twin.csv'}")
    if not path.parent.is_dir():
        raise WerkError(f"--out {out}: folder {path.parent} does not exist")
    return path


def main(args) -> int:
    if args.seed is not None and args.seed < 0:
        raise WerkError(f"--seed {args.seed}: a seed is a whole number from 0 up")
    if args.n is not None and args.n < 1:
        raise WerkError(f"--n {args.n}: the twin needs at least 1 respondent")
    if args.out:
        _out_file(args.out)
    if args.action == "fit":
        if not args.file or not args.out:
            raise WerkError("usage: werk synth fit FILE [--mapping M] --out params.yml")
        synth.progress(f"loading {args.file}")
        # The items too, where the file has them: the twin of an item-level file is item-level.
        real, items = werk_data.load_items(args.file, args.mapping)
        params = synth.fit(real, items)
        for scale, spec in (params.get("items") or {}).items():
            merged = [f"{item} {a}->{b}" for item, away in spec["merged"].items() for a, b in away.items()]
            merged += [f"score {a:g}->{b:g}" for a, b in spec["score_merged"].items()]
            if merged:
                synth.progress(f"{scale}: answers of fewer than {synth.MIN_CELL} respondents count as their "
                               f"neighbour's (kept as 'merged' in the params): {', '.join(merged)}")
        Path(args.out).write_text(
            "# Twin parameters fitted by `werk synth fit`: aggregates only, each resting on at least "
            f"{synth.MIN_CELL} respondents.\n"
            + yaml.safe_dump(synth.plain(params), sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        synth.progress(f"wrote {args.out}")
        return 0
    if args.file:
        raise WerkError(f"unexpected argument {args.file!r}; did you mean 'werk synth fit {args.file}'?")
    params = synth.load_params(args.params)
    seed = args.seed if args.seed is not None else int(params.get("seed", synth.DEFAULT_SEED))
    n = args.n if args.n is not None else int(params.get("n", synth.DEFAULT_N))
    t0 = time.perf_counter()
    df = synth.generate(params, seed=seed, n=n, quiet=False)
    out = Path(args.out) if args.out else paths.TWIN
    synth.write(df, out)
    synth.progress(f"wrote {out} ({n} rows, seed {seed}) in {time.perf_counter() - t0:.1f} s")
    if args.report:
        print(synth.report(df, params))
        print()
        print(ledger.ledger(df).to_string(index=False))
    return 0
