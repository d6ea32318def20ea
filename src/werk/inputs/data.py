"""Load a data file into the canonical analysis frame, and check it against the codebook.

One entry point for every notebook: :func:`load` reads the synthetic twin or the real
WERKonderzoek file (CSV, the Dutch Excel CSV export, parquet or SPSS ``.sav``), applies an
optional YAML mapping (rename, recode, extra missing codes) and validates the result with a
pandera schema built from :mod:`werk.core.codebook`. Every problem found ends up in one
:class:`~werk.core.errors.DataError` whose message names the file, the column, how many rows,
the first few row numbers and their values, and what the codebook allows.

Row numbers in messages count data rows from 1 (the header is not a row): in a CSV,
row N is line N + 1; in an SPSS file, row N is case N.

``werk validate FILE [--mapping M]`` is the command-line face of :func:`load`.

pandas, pandera, pyarrow and pyreadstat are imported inside functions, so that
``werk --help`` stays fast.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from werk.core.codebook import VARIABLES, Variable
from werk.core.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pandera.pandas as pa

__all__ = ["load", "read_raw", "read_mapping", "validate", "schema", "INT_COLUMNS"]

#: Columns returned as int64 (they may never be missing); every other column is float64.
INT_COLUMNS = ("respondent_id", "sector")

#: How many row numbers and values a message shows per problem.
SHOW = 5

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SAV_SUFFIXES = {".sav", ".zsav"}
_MAPPING_KEYS = ("rename", "recode", "missing")

_NOTE_CSV = "row numbers count data rows from 1: row N is line N+1 of the file, below the header"
_NOTE_SAV = "row numbers are SPSS case numbers"
_NOTE_ROWS = "row numbers count data rows from 1"


# --------------------------------------------------------------------------- reading


def read_raw(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a file as it is: its own column names, CSV cells as text.

    The format is recognised by the file's first bytes (parquet ``PAR1``, SPSS ``$FL2``/``$FL3``)
    and otherwise read as delimited text, with the separator sniffed from the header line
    (``,``, ``;`` as in the Dutch Excel export, or tab). SPSS user-missing codes become NaN.

    Parameters
    ----------
    path : str or Path
        The data file.

    Returns
    -------
    frame : pandas.DataFrame
        One row per data row of the file, in file order.
    note : str
        How the row numbers in messages relate to the file.

    Raises
    ------
    DataError
        The file is missing, empty, binary garbage, corrupt, or of an unsupported kind.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file")
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise DataError(f"{path}: the file is empty (0 bytes)")

    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return _read_parquet(path), _NOTE_ROWS
    if head.startswith((b"$FL2", b"$FL3")):
        return _read_sav(path), _NOTE_SAV
    if suffix in _PARQUET_SUFFIXES:
        raise DataError(f"{path}: not a valid parquet file (it does not start with the parquet signature)")
    if suffix in _SAV_SUFFIXES:
        raise DataError(f"{path}: not a valid SPSS .sav file (it does not start with the SPSS signature)")
    if head.startswith(b"PK\x03\x04") or suffix in {".xlsx", ".xls"}:
        raise DataError(
            f"{path}: Excel workbooks are not read directly; save the sheet as CSV "
            "(the Dutch 'CSV (puntkomma-gescheiden)' export is fine)"
        )
    if b"\x00" in head:
        raise DataError(f"{path}: not a CSV, parquet or SPSS .sav file (it contains binary data)")
    if suffix not in _TEXT_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; "
            "use CSV (.csv), parquet (.parquet) or SPSS (.sav)"
        )
    return _read_csv(path), _NOTE_CSV


def _read_csv(path: Path) -> pd.DataFrame:
    import io

    import pandas as pd

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Dutch Windows writes cp1252; latin-1 accepts every byte, so it never fails.
        text = raw.decode("cp1252", errors="replace")
    header = next((line for line in text.splitlines() if line.strip()), "")
    if not header:
        raise DataError(f"{path}: the file is empty (no header line)")
    # The separator is the candidate that splits the header most; a decimal comma never
    # occurs in a header, so this also tells the Dutch export (';') from plain CSV.
    sep = max([",", ";", "\t"], key=header.count)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, skip_blank_lines=False, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header line)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as CSV (separator {sep!r}): {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path}: cannot be read as parquet (corrupt or truncated?): {exc}") from None


def _read_sav(path: Path) -> pd.DataFrame:
    import pyreadstat

    try:
        # user_missing=False (the default, stated for clarity) turns every value declared
        # user-missing in the file (missing values and missing ranges) into NaN.
        frame, _meta = pyreadstat.read_sav(str(path), user_missing=False, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(f"{path}: cannot be read as SPSS .sav (corrupt or truncated?): {exc}") from None
    return frame


# --------------------------------------------------------------------------- mapping


def read_mapping(mapping: str | Path | dict | None) -> dict:
    """Read and check a mapping (a YAML file or a dict) with the keys rename, recode and missing.

    ``rename`` maps the file's names to codebook names; ``recode`` maps, per codebook variable,
    a file value to a codebook value (values not listed are kept; ``null`` makes one missing);
    ``missing`` lists, per codebook variable or for ``all`` variables, extra values that mean
    missing. ``all`` leaves ``respondent_id`` and ``weight`` alone: an id of 99 is an id.
    Missing codes are applied before recoding, to the file's own values.

    Returns
    -------
    dict
        ``{"rename": {str: str}, "recode": {str: {float: float}}, "missing": {str: [float]}}``.
    """
    if mapping is None:
        return {key: {} for key in _MAPPING_KEYS}
    where = "mapping"
    if isinstance(mapping, (str, Path)):
        import yaml

        where = str(mapping)
        path = Path(mapping)
        if not path.is_file():
            raise DataError(f"{where}: mapping file not found")
        try:
            mapping = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise DataError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(mapping, dict):
        raise DataError(f"{where}: a mapping must have the keys {', '.join(_MAPPING_KEYS)}")
    unknown = set(mapping) - set(_MAPPING_KEYS)
    if unknown:
        raise DataError(
            f"{where}: unknown keys {sorted(map(str, unknown))}; allowed: {', '.join(_MAPPING_KEYS)}"
        )

    def section(key):
        value = mapping.get(key) or {}
        if not isinstance(value, dict):
            raise DataError(f"{where}: '{key}' must map names to values")
        return value

    def known(name, key, extra=()):
        if name not in VARIABLES and name not in extra:
            hint = difflib.get_close_matches(str(name), list(VARIABLES), n=1)
            raise DataError(
                f"{where}: {key}: {name!r} is not a codebook variable"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )

    def number(value, what):
        if value is None and what == "recode target":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"{where}: {what} {value!r} is not a number")
        return float(value)

    rename = {}
    for source, target in section("rename").items():
        known(target, f"rename {source}")
        if target in rename.values():
            raise DataError(f"{where}: rename: two file columns are renamed to {target!r}")
        rename[str(source)] = target
    recode = {}
    for name, table in section("recode").items():
        known(name, "recode")
        if not isinstance(table, dict):
            raise DataError(f"{where}: recode: {name}: give 'file value: codebook value' pairs")
        recode[name] = {number(k, "recode value"): number(v, "recode target") for k, v in table.items()}
    missing = {}
    for name, codes in section("missing").items():
        known(name, "missing", extra=("all",))
        codes = codes if isinstance(codes, list) else [codes]
        missing[name] = [number(c, "missing code") for c in codes]
    return {"rename": rename, "recode": recode, "missing": missing}


# --------------------------------------------------------------------------- schema


def _column_checks(v: Variable) -> list[tuple[str, pa.Check]]:
    """(kind, check) pairs for one codebook variable; the kind drives the message."""
    import pandera.pandas as pa

    checks = []
    if v.codes:
        checks.append(("codes", pa.Check.isin(sorted(float(c) for c in v.codes))))
    elif v.kind == "weight":
        checks.append(("positive", pa.Check.gt(0)))
    elif v.low is not None and v.high is not None:
        checks.append(("range", pa.Check.in_range(v.low, v.high)))
    elif v.low is not None:
        checks.append(("range", pa.Check.ge(v.low)))
    if v.kind in ("id", "count"):
        checks.append(("whole", pa.Check(lambda s: s == s.round(), name="whole_number")))
    return checks


def _both(frame, a, b):
    """Rows where columns a and b are both present (a check cannot judge the others)."""
    return frame[a].notna() & frame[b].notna()


def _frame_checks() -> list[tuple[str, str, pa.Check]]:
    """(column to blame, kind, check) for the impossible combinations."""
    import pandera.pandas as pa

    def function_within_government(df):
        if not {"years_in_function", "years_in_government"} <= set(df.columns):
            return True
        ok = df["years_in_function"] <= df["years_in_government"]
        return ok | ~_both(df, "years_in_function", "years_in_government")

    def government_after_fifteen(df):
        if not {"years_in_government", "age"} <= set(df.columns):
            return True
        ok = df["years_in_government"] <= df["age"] - 15
        return ok | ~_both(df, "years_in_government", "age")

    return [
        ("years_in_function", "function>government",
         pa.Check(function_within_government, name="function_within_government")),
        ("years_in_government", "government>age-15",
         pa.Check(government_after_fifteen, name="government_after_fifteen")),
    ]


@functools.cache
def schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical frame, built from :data:`werk.core.codebook.VARIABLES`.

    Every column is checked as float64 (the loader converts text to numbers first and reports
    what is not a number itself); ``respondent_id`` is unique; columns marked not nullable
    may not be missing; the impossible combinations are frame-wide checks.
    """
    import pandera.pandas as pa

    columns = {
        v.name: pa.Column(
            "float64",
            checks=[check for _, check in _column_checks(v)],
            nullable=v.nullable,
            unique=v.kind == "id",
            required=v.required,
        )
        for v in VARIABLES.values()
    }
    return pa.DataFrameSchema(columns, checks=[check for _, _, check in _frame_checks()], strict=False)


# --------------------------------------------------------------------------- validation


def _fmt(value) -> str:
    """A value as a person typed it: 3 not 3.0, text quoted."""
    if isinstance(value, str):
        return repr(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if x != x:
        return "empty"
    return str(int(x)) if x.is_integer() else repr(x)


def _rows(index, values=None) -> str:
    """'rows 4, 9, 17: 7, 0, 9' for the first SHOW rows (or 'row 4: 7')."""
    index = list(index)[:SHOW]
    head = ("row " if len(index) == 1 else "rows ") + ", ".join(str(i) for i in index)
    if values is None:
        return head
    return head + ": " + ", ".join(values[:SHOW])


def count_text(n: int, what: str = "rows") -> str:
    return f"1 {what[:-1]}" if n == 1 else f"{n} {what}"


def _has(n: int, what: str) -> str:
    """'3 rows have values outside 1–5' / '1 row has a value outside 1–5'."""
    if n == 1:
        first, _, rest = what.partition(" ")
        singular = f"a {first[:-1]} {rest}" if first in ("values", "weights") else what
        return f"1 row has {singular}"
    return f"{n} rows have {what}"


def _allowed(v: Variable) -> str:
    if v.codes:
        items = [f"{code} {nl}" for code, (nl, _en) in sorted(v.codes.items())]
        shown = ", ".join(items) if len(items) <= 3 else f"{items[0]} … {items[-1]}"
        return f"allowed codes: {shown}"
    whole = "whole numbers" if v.kind in ("id", "count") else "numbers"
    if v.kind == "weight":
        return "allowed: numbers greater than 0"
    if v.low is not None and v.high is not None:
        return f"allowed: {whole} from {_fmt(v.low)} to {_fmt(v.high)}"
    if v.low is not None:
        return f"allowed: {whole} from {_fmt(v.low)} up"
    return f"allowed: {whole}"


def _span(v: Variable) -> str:
    return f"{_fmt(v.low)}–{_fmt(v.high)}"


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell holds nothing (NaN, or text of only spaces)."""
    from pandas.api.types import is_numeric_dtype

    return frame.apply(
        lambda s: s.isna() if is_numeric_dtype(s) else s.isna() | s.astype("str").str.strip().eq("")
    )


def _to_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a column (accepting a decimal comma), and the text of cells that are not numbers."""
    import pandas as pd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if is_numeric_dtype(column) or is_bool_dtype(column):
        return column.astype("float64"), column.iloc[:0]
    text = column.map(lambda x: x.strip() if isinstance(x, str) else x, na_action="ignore")
    # A Dutch export writes 3,5; a cell with both '.' and ',' (1.234,5) is left for the
    # person to fix rather than guessed at.
    dotted = text.map(
        lambda x: x.replace(",", ".") if isinstance(x, str) and "." not in x else x, na_action="ignore"
    )
    numbers = pd.to_numeric(dotted, errors="coerce").astype("float64")
    filled = text.map(lambda x: not (isinstance(x, str) and x == ""), na_action="ignore")
    bad = numbers.isna() & text.notna() & filled.fillna(False).astype(bool)
    return numbers, text[bad]


def validate(
    frame: pd.DataFrame,
    mapping: str | Path | dict | None = None,
    *,
    source: str = "data",
    note: str = _NOTE_ROWS,
) -> pd.DataFrame:
    """Turn a raw frame into the canonical analysis frame, or raise one DataError listing every problem.

    Steps: rename (mapping), keep the codebook columns, text to numbers (reporting what is not a
    number), extra missing codes, recode, then the pandera :func:`schema` with lazy validation.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows in file order; its index is ignored (row N in messages is the N-th row).
    mapping : str, Path, dict or None
        See :func:`read_mapping`.
    source : str
        Name of the file (or frame) in messages.
    note : str
        How row numbers relate to the source; appended to error messages.

    Returns
    -------
    pandas.DataFrame
        Codebook columns in codebook order, ``weight`` 1.0 when absent, ``respondent_id`` and
        ``sector`` int64, everything else float64, missing values NaN, a fresh RangeIndex.
    """
    import pandas as pd
    import pandera.pandas as pa

    m = read_mapping(mapping)
    frame = frame.copy()
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    frame.columns = [str(c) for c in frame.columns]
    # Rows with no value at all (Excel's ';;;;' lines, blank lines) are not respondents.
    frame = frame[~_blank(frame).all(axis=1)]
    if frame.empty:
        raise DataError(f"{source}: no data rows (the file has a header but no respondents)")

    frame = frame.rename(columns=m["rename"])
    doubled = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1} & set(VARIABLES))
    if doubled:
        raise DataError(
            f"{source}: column {doubled[0]!r} occurs twice (after renaming with the mapping); keep one"
        )
    present = [name for name in VARIABLES if name in frame.columns]
    extra = [c for c in frame.columns if c not in VARIABLES]

    # (codebook position, message): the message lists problems in codebook order
    problems: list[tuple[float, str]] = []
    order = {name: i for i, name in enumerate(VARIABLES)}
    data = {}
    not_numbers: dict[str, pd.Index] = {}
    for name in present:
        numbers, bad = _to_numbers(frame[name])
        if len(bad):
            not_numbers[name] = bad.index
            problems.append((order[name], (
                f"column {name!r}: {count_text(len(bad))} "
                f"{'is not a number' if len(bad) == 1 else 'are not numbers'} "
                f"({_rows(bad.index, [_fmt(x) for x in bad])}); {_allowed(VARIABLES[name])}"
            )))
        codes = m["missing"].get(name, [])
        if name not in ("respondent_id", "weight"):
            codes = codes + m["missing"].get("all", [])
        if codes:
            numbers = numbers.mask(numbers.isin(codes))
        if name in m["recode"]:
            table = m["recode"][name]
            recoded = numbers.map(table).astype("float64")
            numbers = recoded.where(numbers.isin(list(table)), numbers)
        data[name] = numbers
    canonical = pd.DataFrame(data, index=frame.index)

    try:
        schema().validate(canonical, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems += _describe(exc.failure_cases, canonical, not_numbers, order, m, extra)

    if problems:
        lines = [f"{source}: {text}" for _, text in sorted(problems, key=lambda p: p[0])]
        if any(" (row" in line for line in lines):
            lines.append(f"({note})")
        raise DataError("\n".join(lines))

    if "weight" not in canonical:
        canonical["weight"] = 1.0
    canonical = canonical[[name for name in VARIABLES if name in canonical]]
    canonical = canonical.astype({name: "int64" for name in INT_COLUMNS})
    return canonical.reset_index(drop=True)


def _describe(cases, canonical, not_numbers, order, m, extra) -> list[tuple[int, str]]:
    """Messages from pandera's failure cases, one per (column, check)."""
    column_kinds = {name: [kind for kind, _ in _column_checks(v)] for name, v in VARIABLES.items()}
    frame_kinds = [(column, kind) for column, kind, _ in _frame_checks()]
    out = []

    missing = [c for c in cases.loc[cases["check"] == "column_in_dataframe", "failure_case"]]
    if missing:
        renamed_from = {target: source for source, target in m["rename"].items()}
        parts = []
        for name in sorted(missing, key=lambda c: order.get(c, 99)):
            hint = ""
            if name in renamed_from:
                hint = f" (the mapping expects it as {renamed_from[name]!r})"
            else:
                close = difflib.get_close_matches(name, extra, n=1, cutoff=0.6) or [
                    c for c in extra if c.lower() == name.lower()
                ]
                if close:
                    hint = f" (is {close[0]!r} meant?)"
            parts.append(f"{name!r}{hint}")
        what = "column" if len(parts) == 1 else "columns"
        advice = (
            "; if the file uses other names, pass a mapping (see data/mapping.example.yml)"
            if not m["rename"] else ""
        )
        out.append((-1, f"required {what} missing: {', '.join(parts)}{advice}"))

    rest = cases[cases["check"] != "column_in_dataframe"]
    for (context, column, check, number), group in rest.groupby(
        ["schema_context", "column", "check", "check_number"], dropna=False, sort=False
    ):
        rows = sorted({int(i) for i in group["index"].dropna()})
        if context == "DataFrameSchema":
            blame, kind = frame_kinds[int(number)]
            if column != blame:
                continue  # pandera lists every column of a failing row; report it once
        else:
            blame = column
            if check == "not_nullable":
                kind = "missing"
            elif check == "field_uniqueness":
                kind = "duplicate"
            elif number == number and number is not None:
                kind = column_kinds[column][int(number)]
            else:
                kind = "other"
        v = VARIABLES[blame]
        values = canonical[blame]
        shown = [_fmt(values[i]) for i in rows[:SHOW]]
        n = len(rows)
        if kind == "missing":
            rows = [r for r in rows if r not in set(not_numbers.get(blame, []))]
            if not rows:
                continue  # already reported as not a number
            text = (
                f"{count_text(len(rows))} {'is' if len(rows) == 1 else 'are'} empty ({_rows(rows)}); "
                f"{blame} must be filled in for every respondent"
            )
        elif kind == "duplicate":
            ids = {values[i] for i in rows}
            text = (
                f"{count_text(n)} share {count_text(len(ids), 'ids')} ({_rows(rows, shown)}); "
                "every respondent needs a unique id"
            )
        elif kind == "codes":
            contiguous = sorted(v.codes) == list(range(min(v.codes), max(v.codes) + 1))
            whole = all(float(values[i]).is_integer() for i in rows)
            what = "values not among the codes"
            if contiguous and whole:
                what = f"values outside {min(v.codes)}–{max(v.codes)}"
            text = f"{_has(n, what)} ({_rows(rows, shown)}); {_allowed(v)}"
        elif kind == "range":
            span = _span(v) if v.high is not None else f"{_fmt(v.low)} and up"
            text = f"{_has(n, 'values outside ' + span)} ({_rows(rows, shown)}); {_allowed(v)}"
        elif kind == "positive":
            text = f"{_has(n, 'weights of 0 or less')} ({_rows(rows, shown)}); {_allowed(v)}"
        elif kind == "whole":
            text = (
                f"{count_text(n)} {'is not a whole number' if n == 1 else 'are not whole numbers'} "
                f"({_rows(rows, shown)}); {_allowed(v)}"
            )
        elif kind == "function>government":
            pairs = [f"{_fmt(values[i])} > {_fmt(canonical['years_in_government'][i])}" for i in rows]
            text = (
                f"{count_text(n)} {'has' if n == 1 else 'have'} more years in the function than in "
                f"government ({_rows(rows, pairs)}); years_in_function may not exceed years_in_government"
            )
        elif kind == "government>age-15":
            pairs = [f"{_fmt(values[i])} at age {_fmt(canonical['age'][i])}" for i in rows]
            text = (
                f"{count_text(n)} {'has' if n == 1 else 'have'} more years in government than age − 15 "
                f"({_rows(rows, pairs)}); nobody works in government before the age of 15"
            )
        else:  # a pandera check this module did not foresee: still one readable line
            text = f"{count_text(n)} fail pandera check {check} ({_rows(rows, shown)})"
        position = order[blame] + (0.5 if context == "DataFrameSchema" else 0)
        out.append((position, f"column {blame!r}: {text}"))
    return out


def load(path: str | Path, mapping: str | Path | dict | None = None) -> pd.DataFrame:
    """Read a data file and return the canonical analysis frame.

    Parameters
    ----------
    path : str or Path
        CSV (comma, or the Dutch Excel export with ``;`` and decimal commas), parquet, or SPSS
        ``.sav`` (its user-missing codes become NaN).
    mapping : str, Path, dict or None
        YAML mapping (or its dict) that renames, recodes and declares missing codes; see
        ``data/mapping.example.yml`` and :func:`read_mapping`.

    Returns
    -------
    pandas.DataFrame
        See :func:`validate`.

    Raises
    ------
    DataError
        The file cannot be read or does not fit the codebook; the message lists every problem.
    """
    raw, note = read_raw(path)
    return validate(raw, mapping, source=str(path), note=note)
