"""``werk ledger``: every number the article prints beside the one computed from the data."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from werk.core import codebook, paths
from werk.core.errors import DataError
from werk.disclosure import claims as claim_checks
from werk.disclosure import record
from werk.inputs import data
from werk.inputs.claims import claims
from werk.stats import ledger as ledger_


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None, help="data file (default: the synthetic twin)")
    parser.add_argument(
        "--mapping", type=Path, help="mapping of a real file's names and codes onto the codebook"
    )
    parser.add_argument("--edition", help="one sector (name or code): filter the data to it")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _load(path: Path | None, mapping: Path | None) -> pd.DataFrame:
    path = path or paths.TWIN
    if not Path(path).is_file():
        raise DataError(
            f"no data file at {path}" + (" (run `werk synth` to make the twin)" if path == paths.TWIN else "")
        )
    return data.load(path, mapping)


def _jsonable(v):
    if v is None or isinstance(v, str):
        return v
    if v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if math.isnan(v) else float(v)
    return v


def main(args: argparse.Namespace) -> int:
    df = _load(args.data, args.mapping)
    sector = ledger_.sector_of(args.edition)
    if sector is not None:
        if "sector" not in df.columns:
            raise DataError("--edition needs a sector column in the data")
        df = df[df["sector"] == sector]
        if df.empty:
            raise DataError(f"no respondents in sector {codebook.SECTORS[sector][0]}")
    items = claims()
    table = ledger_.ledger(df, items, edition=sector)
    table = _checked(table, df, sector)
    try:
        _write(table, items, args.format)
    except BrokenPipeError:  # `werk ledger | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _checked(table: pd.DataFrame, df: pd.DataFrame, sector: int | None) -> pd.DataFrame:
    """The ledger with CBS's output rules applied, as the book's ledger page applies them.

    Every number that fails a rule reads "suppressed". After a build of this edition, a claim that its
    page withheld when it showed it is withheld here too: the pages' records say which
    (``_build/records/<edition>``); without a build, the ledger's own checks decide alone.
    """
    edition = "all" if sector is None else codebook.SECTORS[sector][0]
    folder = paths.BUILD / "records" / codebook.edition_slug(edition)
    try:
        withheld = record.withheld_outputs(record.read_records(folder, summaries=False))
    except FileNotFoundError:
        withheld = None
    checked, _ = claim_checks.suppress_ledger(table, df, withheld=withheld)
    return checked


def _write(table: pd.DataFrame, items: list[dict], fmt: str) -> None:
    if fmt == "csv":
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif fmt == "json":
        records = [{k: _jsonable(v) for k, v in r.items()} for r in table.to_dict(orient="records")]
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(ledger_.to_text(table, items))
    sys.stdout.flush()
