"""Load a data file into the canonical analysis frame, and check it against the codebook.

One entry point for every notebook: :func:`load` reads the synthetic twin or the real
WERKonderzoek file (CSV, the Dutch Excel CSV export, parquet or SPSS ``.sav``), applies an
optional YAML mapping (rename, recode, extra missing codes) and validates the result with a
pandera schema built from :mod:`werk.core.codebook`. Every problem found ends up in one
:class:`~werk.core.errors.DataError` whose message names the file, the column, how many rows,
the first few row numbers and their values, and what the codebook allows.

Row numbers in messages count data rows from 1 (the header is not a row): in a CSV,
row N is line N + 1; in an SPSS file, row N is case N.

A file is read and validated :data:`CHUNK_ROWS` rows at a time, and a CSV column that holds only
numbers is converted by pandas' C parser, not cell by cell: ``werk validate`` of a million rows takes
seconds and under three times the file's size in memory (:func:`check` keeps no frame). The messages
are those of validating the whole file at once: each problem's count and first rows are summed over
the chunks, and ids are checked for duplicates across the whole file.

A scale the codebook wants as a score may come as its items instead: the mapping's ``scales`` (or, in the
twin, columns ``<scale>_1`` ...) name them, and the score is the mean of the answered items after
reverse-keying (:func:`read_mapping`); :func:`load_items` also returns the items, for the reliabilities.

``werk validate FILE [--mapping M] [--report]`` is the command-line face of :func:`check`.

pandas, pandera, pyarrow and pyreadstat are imported inside functions, so that
``werk --help`` stays fast.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from werk.core import codebook
from werk.core.codebook import VARIABLES, Variable
from werk.core.errors import DataError
from werk.core.files import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pandera.pandas as pa

__all__ = ["load", "load_items", "check", "check_file", "default_scales",
           "read_raw", "read_mapping", "validate", "schema", "INT_COLUMNS",
           "ID_MAX", "WEIGHT_MAX", "CHUNK_ROWS"]

#: Columns returned as int64 (they may never be missing); every other column is float64.
INT_COLUMNS = ("respondent_id", "sector")

#: The largest respondent id. Ids are read as numbers (float64, like every column): every whole number up
#: to 2**53 - 1 survives that exactly, larger ones lose digits (1e20 and 2e20 both became the int64
#: -9223372036854775808, one id for two respondents).
ID_MAX = 2**53 - 1

#: The largest survey weight: a weight is how many people one respondent stands for, and the Dutch public
#: sector employs about a million. Larger weights (1e308, inf) are typing or export errors, and they
#: overflow the weighted sums of the models.
WEIGHT_MAX = 1_000_000

#: How many rows are converted and validated at a time (memory is bounded by a chunk, not the file).
CHUNK_ROWS = 100_000

#: How many row numbers and values a message shows per problem.
SHOW = 5

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".dat"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SAV_SUFFIXES = {".sav", ".zsav"}
_MAPPING_KEYS = ("rename", "recode", "missing", "scales")
_SCALE_KEYS = ("items", "reverse", "min_answered", "range")
#: How far a file's own scale score may lie from the mean of its items (two decimals of rounding).
SCORE_TOLERANCE = 0.005

_NOTE_CSV = "row numbers count data rows from 1: row N is line N+1 of the file, below the header"
_NOTE_SAV = "row numbers are SPSS case numbers"
_NOTE_ROWS = "row numbers count data rows from 1"


# --------------------------------------------------------------------------- reading


def check_file(path: str | Path, what: str = "file") -> Path:
    """Refuse a path that is not a readable file, with a message naming it; return it as a Path.

    ``what`` names the file in the messages: ``"file"`` (a data file) or ``"mapping file"``. The file
    is opened and one byte read, so that a file without read permission is found here, before
    anything hashes or parses it.

    Raises
    ------
    DataError
        ``<path>: <what> not found``, ``<path>: is a directory, not a <what>``, or
        ``<path>: cannot be read (<reason>)``.
    """
    path = Path(path)
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as exc:  # e.g. a folder on the way that may not be entered
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not exists:
        raise DataError(f"{path}: {what} not found")
    if is_dir:
        raise DataError(f"{path}: is a directory, not a {'data file' if what == 'file' else what}")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return path


def read_raw(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a file as it is: its own column names; a CSV column as numbers if pandas reads it so, else text.

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
    import pandas as pd

    chunks, note = _read_chunks(path)
    frames = list(chunks)
    return (frames[0] if len(frames) == 1 else pd.concat(frames)).reset_index(drop=True), note


def _read_chunks(path: str | Path, rows: int | None = None) -> tuple[Iterator[pd.DataFrame], str]:
    """The file's rows, ``rows`` (default :data:`CHUNK_ROWS`) at a time (see :func:`read_raw`), and the
    note on row numbers.

    Everything that can be told from the file's start is checked here, before the first chunk.
    """
    path = check_file(path)
    rows = rows or CHUNK_ROWS
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise DataError(f"{path}: the file is empty (0 bytes)")

    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return _slices(_read_parquet(path), rows), _NOTE_ROWS
    if head.startswith((b"$FL2", b"$FL3")):
        return _slices(_read_sav(path), rows), _NOTE_SAV
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
    return _read_csv(path, rows), _NOTE_CSV


def _slices(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """A frame read whole (parquet, SPSS), ``rows`` at a time."""
    if frame.empty:
        yield frame
    for start in range(0, len(frame), rows):
        yield frame.iloc[start:start + rows]


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is valid UTF-8, read a megabyte at a time."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _header_line(path: Path, encoding: str) -> str:
    """The first line that is not blank ('' if none), decoding no more of the file than it takes."""
    size = 1 << 16
    total = path.stat().st_size
    while True:
        with path.open("rb") as fh:
            lines = fh.read(size).decode(encoding, errors="replace").splitlines()
        whole = size >= total
        found = next((line for line in (lines if whole else lines[:-1]) if line.strip()), None)
        if found is not None or whole:
            return found or ""
        size *= 4


def _read_csv(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """A delimited text file, ``rows`` rows at a time; its encoding, separator and header are checked now.

    pandas' C parser converts a column of plain numbers itself (``;`` files: with the decimal comma of
    the Dutch export), as fast as it reads; any other column comes as text, which :func:`_to_numbers`
    converts. A chunk the parser read otherwise than as numbers or text (``True``/``FALSE`` as booleans,
    integers beyond 2**53) is read again as text, so that the messages show what the file says.
    """
    import pandas as pd

    # Excel on Dutch Windows writes cp1252; with errors replaced, every byte decodes.
    encoding = "utf-8-sig" if _is_utf8(path) else "cp1252"
    header = _header_line(path, encoding)
    if not header:
        raise DataError(f"{path}: the file is empty (no header line)")
    # The separator is the candidate that splits the header most; a decimal comma never
    # occurs in a header, so this also tells the Dutch export (';') from plain CSV.
    sep = max([",", ";", "\t"], key=header.count)
    options = dict(sep=sep, skip_blank_lines=False, skipinitialspace=True, encoding=encoding,
                   encoding_errors="replace", chunksize=rows)

    def failed(exc) -> DataError:
        if isinstance(exc, pd.errors.EmptyDataError):
            return DataError(f"{path}: the file is empty (no header line)")
        return DataError(f"{path}: cannot be read as CSV (separator {sep!r}): {exc}")

    def reader(**kw):
        try:
            return pd.read_csv(path, **options, **kw)
        except (pd.errors.ParserError, ValueError) as exc:  # EmptyDataError is a ValueError
            raise failed(exc) from None

    def chunks(typed):
        text, text_read, i = None, 0, 0
        while True:
            try:
                chunk = next(typed)
            except StopIteration:
                return
            except (pd.errors.ParserError, ValueError) as exc:
                raise failed(exc) from None
            if not all(_read_exactly(chunk.iloc[:, j]) for j in range(chunk.shape[1])):
                text = text or reader(dtype=str)
                while text_read <= i:  # the text reader's chunks hold the same rows as the typed reader's
                    chunk = next(text)
                    text_read += 1
            chunk.columns = [str(c).strip() for c in chunk.columns]
            yield chunk
            i += 1

    return chunks(reader(decimal="," if sep == ";" else "."))


def _read_exactly(column: pd.Series) -> bool:
    """Whether a column the C parser typed holds what converting its text would give (see _read_csv)."""
    from pandas.api.types import infer_dtype, is_string_dtype

    kind = column.dtype.kind
    if kind == "f":
        return True
    if kind == "i":  # whole numbers up to 2**53 are the same as int64 or as float64
        return column.empty or (column.min() >= -ID_MAX and column.max() <= ID_MAX)
    if is_string_dtype(column.dtype) and column.dtype != object:
        return True
    return kind == "O" and infer_dtype(column, skipna=True) in ("string", "empty")


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

    ``scales`` builds a scale score from the file's items: per codebook scale, ``items`` (the file's
    columns, at least two), ``reverse`` (those of them that are reverse-keyed: ``low + high - answer``),
    ``min_answered`` (how many must be answered for a score; default all but one, at least two) and
    ``range`` (the answers, default ``[1, 5]``). The score is the mean of the answered items. ``missing``
    codes apply to items too (by the item's name, or ``all``).

    Returns
    -------
    dict
        ``{"rename": {str: str}, "recode": {str: {float: float}}, "missing": {str: [float]},
        "scales": {str: {"items": [str], "reverse": [str], "min_answered": int, "range": (float, float)}}}``.
    """
    if mapping is None:
        return {key: {} for key in _MAPPING_KEYS}
    where = "mapping"
    if isinstance(mapping, (str, Path)):
        import yaml

        where = str(mapping)
        path = check_file(mapping, "mapping file")
        try:
            mapping = load_yaml(path.read_text(encoding="utf-8")) or {}
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
    scales = _read_scales(section("scales"), where, rename)
    item_names = [item for spec in scales.values() for item in spec["items"]]
    missing = {}
    for name, codes in section("missing").items():
        known(name, "missing", extra=("all", *item_names))
        codes = codes if isinstance(codes, list) else [codes]
        missing[name] = [number(c, "missing code") for c in codes]
    return {"rename": rename, "recode": recode, "missing": missing, "scales": scales}


def _read_scales(section: dict, where: str, rename: dict) -> dict:
    """Check the ``scales`` part of a mapping (see :func:`read_mapping`)."""
    out, owner = {}, {}
    for scale, spec in section.items():
        if scale not in codebook.SCALES:
            hint = difflib.get_close_matches(str(scale), list(codebook.SCALES), n=1)
            raise DataError(f"{where}: scales: {scale!r} is not a scale of the codebook"
                            + (f" (did you mean {hint[0]!r}?)" if hint else "")
                            + f"; scales: {', '.join(codebook.SCALES)}")
        if not isinstance(spec, dict) or "items" not in spec:
            raise DataError(f"{where}: scales: {scale}: give its 'items' (a list of the file's columns)")
        unknown = set(spec) - set(_SCALE_KEYS)
        if unknown:
            raise DataError(f"{where}: scales: {scale}: unknown keys {sorted(map(str, unknown))}; "
                            f"allowed: {', '.join(_SCALE_KEYS)}")
        if scale in rename.values():
            raise DataError(f"{where}: scales: {scale} is both renamed from a file column and built from "
                            "items; keep one")
        items = spec["items"] if isinstance(spec["items"], list) else [spec["items"]]
        items = [str(i) for i in items]
        doubled = sorted({i for i in items if items.count(i) > 1})
        if doubled:
            raise DataError(f"{where}: scales: {scale}: item {doubled[0]!r} is listed twice")
        if len(items) < 2:
            raise DataError(f"{where}: scales: {scale} has {len(items)} item"
                            f"{'' if len(items) == 1 else 's'}; a scale needs at least two")
        for item in items:
            if item in owner:
                raise DataError(f"{where}: scales: item {item!r} is in both {owner[item]} and {scale}")
            owner[item] = scale
        reverse = spec.get("reverse") or []
        reverse = [str(i) for i in (reverse if isinstance(reverse, list) else [reverse])]
        stray = [i for i in reverse if i not in items]
        if stray:
            raise DataError(f"{where}: scales: {scale}: reverse item {stray[0]!r} is not among its items "
                            f"({', '.join(items)})")
        least = spec.get("min_answered", codebook.min_answered(len(items)))
        if isinstance(least, bool) or not isinstance(least, int) or not 1 <= least <= len(items):
            raise DataError(f"{where}: scales: {scale}: min_answered {least!r} must be a whole number from 1 "
                            f"to {len(items)} (its number of items)")
        span = spec.get("range", [codebook.ITEM_LOW, codebook.ITEM_HIGH])
        if (not isinstance(span, list) or len(span) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in span)
                or not span[0] < span[1]):
            raise DataError(f"{where}: scales: {scale}: range {span!r} must be [lowest, highest] answer")
        out[scale] = {"items": items, "reverse": reverse, "min_answered": int(least),
                      "range": (float(span[0]), float(span[1]))}
    return out


def default_scales(columns: Iterable[str], mapping: dict) -> dict:
    """Scales the file's own columns give in the twin's layout (``<scale>_1``, ``<scale>_2``, ...), for the
    scales a mapping neither builds nor renames: the codebook's reverse-keyed items and minimum apply."""
    import re

    columns = [str(c) for c in columns]
    out = {}
    for scale in codebook.SCALES:
        if scale in mapping["scales"] or scale in mapping["rename"].values():
            continue
        pattern = re.compile(rf"^{re.escape(scale)}_(\d+)$")
        items = sorted((c for c in columns if pattern.match(c)), key=lambda c: int(pattern.match(c).group(1)))
        if len(items) >= 2:
            out[scale] = {"items": items, "reverse": [i for i in items if i in codebook.reverse_items(scale)],
                          "min_answered": codebook.min_answered(len(items)),
                          "range": (float(codebook.ITEM_LOW), float(codebook.ITEM_HIGH))}
    return out


# --------------------------------------------------------------------------- schema


def _high(v: Variable) -> float | None:
    """The largest value a variable may take: the codebook's, else what its type holds exactly."""
    return ID_MAX if v.kind == "id" and v.high is None else v.high


def _column_checks(v: Variable) -> list[tuple[str, pa.Check]]:
    """(kind, check) pairs for one codebook variable; the kind drives the message.

    Every column has an upper bound, so that nothing infinite or beyond its type gets through: the
    codebook's range, :data:`ID_MAX` for the id, :data:`WEIGHT_MAX` for the weight.
    """
    import pandera.pandas as pa

    checks = []
    high = _high(v)
    if v.codes:
        checks.append(("codes", pa.Check.isin(sorted(float(c) for c in v.codes))))
    elif v.kind == "weight":
        checks.append(("positive", pa.Check.gt(0)))
        checks.append(("weight_max", pa.Check.le(WEIGHT_MAX)))
    elif v.low is not None and high is not None:
        checks.append(("range", pa.Check.in_range(v.low, high)))
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


#: The other columns a frame-wide check's message shows beside the blamed one.
_PAIRED = {"function>government": "years_in_government", "government>age-15": "age"}


def schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical frame, built from :data:`werk.core.codebook.VARIABLES`.

    Every column is checked as float64 (the loader converts text to numbers first and reports
    what is not a number itself); ``respondent_id`` is unique; columns marked not nullable
    may not be missing; the impossible combinations are frame-wide checks.
    """
    return _schema(unique=True)


@functools.cache
def _schema(unique: bool) -> pa.DataFrameSchema:
    """The schema; without ``unique``, for one chunk of a file (ids are compared across the file)."""
    import pandera.pandas as pa

    columns = {
        v.name: pa.Column(
            "float64",
            checks=[check for _, check in _column_checks(v)],
            nullable=v.nullable,
            unique=unique and v.kind == "id",
            required=v.required,
        )
        for v in VARIABLES.values()
    }
    return pa.DataFrameSchema(columns, checks=[check for _, _, check in _frame_checks()], strict=False)


# --------------------------------------------------------------------------- validation


def _fmt(value) -> str:
    """A value as a person typed it: 3 not 3.0, text quoted, a huge number as 1e+20."""
    if isinstance(value, str):
        return repr(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if x != x:
        return "empty"
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


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
        return (f"allowed: numbers greater than 0 and at most {_fmt(WEIGHT_MAX)} (a weight is how many "
                "people one respondent stands for; the public sector employs about a million)")
    if v.kind == "id" and v.high is None:
        return (f"allowed: whole numbers from {_fmt(v.low)} to {_fmt(ID_MAX)} (2^53 − 1: a larger id "
                "loses digits when it is read as a number)")
    if v.low is not None and v.high is not None:
        return f"allowed: {whole} from {_fmt(v.low)} to {_fmt(v.high)}"
    if v.low is not None:
        return f"allowed: {whole} from {_fmt(v.low)} up"
    return f"allowed: {whole}"


def _span(v: Variable) -> str:
    return f"{_fmt(v.low)}–{_fmt(_high(v))}"


def _blank_rows(frame: pd.DataFrame):
    """True for each row that holds nothing (every cell NaN, or text of only spaces), as a numpy array.

    A row stops being a candidate at its first filled cell, so the text of a column is looked at only
    in rows still blank in every column before it (numbers first: they are quick to judge).
    """
    import numpy as np
    from pandas.api.types import is_numeric_dtype

    blank = np.ones(len(frame), dtype=bool)
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    for column in sorted(columns, key=lambda s: not is_numeric_dtype(s)):
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        cells = column.iloc[rows]
        if is_numeric_dtype(cells):
            empty = cells.isna()
        else:
            empty = cells.isna() | cells.astype("str").str.strip().eq("")
        blank[rows] = empty.to_numpy(dtype=bool)
    return blank


def _cells_to_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`_to_numbers` cell by cell: for text that is not a plain number, and for mixed objects."""
    import pandas as pd

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


def _to_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from a column (accepting a decimal comma), and the text of cells that are not numbers.

    Text is converted by ``pd.to_numeric`` at once; only the cells that are not plain numbers as they
    stand (a decimal comma, spaces it does not skip, words) go through :func:`_cells_to_numbers`, which
    is the rule: a cell ``pd.to_numeric`` reads as it stands reads the same stripped of spaces.
    """
    import numpy as np
    import pandas as pd
    from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype, is_string_dtype

    if is_numeric_dtype(column) or is_bool_dtype(column):
        return column.astype("float64"), column.iloc[:0]
    text = is_string_dtype(column.dtype) and (
        column.dtype != object or infer_dtype(column, skipna=True) in ("string", "empty")
    )
    if not text:
        return _cells_to_numbers(column)
    numbers = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy(copy=True)
    unsure = np.isnan(numbers) & column.notna().to_numpy(dtype=bool)
    if not unsure.any():
        return pd.Series(numbers, index=column.index), column.iloc[:0]
    fixed, bad = _cells_to_numbers(column[unsure])
    numbers[unsure] = fixed.to_numpy()
    return pd.Series(numbers, index=column.index), bad


class _Tally:
    """One problem (a column, and what is wrong with it) summed over the chunks of a file."""

    __slots__ = ("n", "rows", "shown", "paired", "whole", "ids", "scale")

    def __init__(self):
        self.n, self.rows, self.shown, self.paired, self.whole, self.ids = 0, [], [], [], True, 0

    def add(self, rows, values=None, paired=None, whole=True) -> None:
        """Count ``rows`` (numpy, ascending) and keep the first few with ``values`` (and ``paired``) there."""
        room = SHOW - len(self.rows)
        self.n += len(rows)
        self.whole = self.whole and bool(whole)
        if room > 0:
            self.rows += [int(r) for r in rows[:room]]
            if values is not None:
                self.shown += [_fmt(x) for x in values[:room]]
            if paired is not None:
                self.paired += [_fmt(x) for x in paired[:room]]


class _Validation:
    """Validate a frame, or a file chunk by chunk, collecting every problem into one message."""

    def __init__(self, mapping, source: str, note: str, keep: bool):
        self.m = read_mapping(mapping)
        self.source, self.note, self.keep = source, note, keep
        self.order = {name: i for i, name in enumerate(VARIABLES)}
        self.kinds = {name: [kind for kind, _ in _column_checks(v)] for name, v in VARIABLES.items()}
        self.frame_kinds = [(column, kind) for column, kind, _ in _frame_checks()]
        # (column, kind) -> _Tally, where kind is "not a number", a pandera check's kind, or a frame check's
        self.tallies: dict[tuple[str, str], _Tally] = {}
        self.rank: dict[tuple[str, str], tuple[float, int]] = {}
        self.rows = 0
        self.columns: list[str] | None = None
        self.ids = []
        self.kept = []
        self.scales: dict | None = None  # scale -> its spec, found at the first chunk (see build_scales)
        self.items: dict[str, list] = {}  # scale -> its scored items, chunk by chunk (when keep)

    def tally(self, column: str, kind: str, rank: tuple[float, int]) -> _Tally:
        key = (column, kind)
        if key not in self.tallies:
            self.tallies[key], self.rank[key] = _Tally(), rank
        return self.tallies[key]

    def run(self, chunks: Iterable[pd.DataFrame]):
        """Validate every chunk (its index: row numbers), then raise or return (frame or None, columns)."""
        import pandas as pd

        start = 1
        for raw in chunks:
            chunk = raw.set_axis(pd.RangeIndex(start, start + len(raw)), axis=0)
            start += len(raw)
            chunk.columns = [str(c) for c in chunk.columns]
            self.chunk(chunk)
        if not self.rows:
            raise DataError(f"{self.source}: no data rows (the file has a header but no respondents)")
        self.duplicates()
        problems = self.problems()
        if problems:
            lines = [f"{self.source}: {text}" for text in problems]
            if any(" (row" in line for line in lines):
                lines.append(f"({self.note})")
            raise DataError("\n".join(lines))
        columns = [name for name in VARIABLES if name in self.columns or name == "weight"]
        if not self.keep:
            return None, columns
        canonical = pd.concat(self.kept) if len(self.kept) > 1 else self.kept[0]
        self.kept = []
        if "weight" not in canonical:
            canonical["weight"] = 1.0
        canonical = canonical[columns]
        canonical = canonical.astype({name: "int64" for name in INT_COLUMNS})
        self.item_frames_kept = self.item_frames()
        return canonical.reset_index(drop=True), columns

    def chunk(self, frame: pd.DataFrame) -> None:
        import pandas as pd
        import pandera.pandas as pa

        # Rows with no value at all (Excel's ';;;;' lines, blank lines) are not respondents.
        blank = _blank_rows(frame)
        if blank.any():
            frame = frame[~blank]
        frame = frame.rename(columns=self.m["rename"])
        frame = self.build_scales(frame)
        if self.columns is None:
            self.columns = list(frame.columns)
            self.doubled = sorted({c for c in self.columns if self.columns.count(c) > 1} & set(VARIABLES))
        if frame.empty:
            return
        if self.doubled:
            raise DataError(f"{self.source}: column {self.doubled[0]!r} occurs twice (after renaming with "
                            "the mapping); keep one")
        self.rows += len(frame)
        present = [name for name in VARIABLES if name in frame.columns]
        data, not_numbers = {}, {}
        for name in present:
            numbers, bad = _to_numbers(frame[name])
            if len(bad):
                not_numbers[name] = bad.index.to_numpy()
                self.tally(name, "not a number", (self.order[name], 0)).add(bad.index, list(bad))
            codes = self.m["missing"].get(name, [])
            if name not in ("respondent_id", "weight"):
                codes = codes + self.m["missing"].get("all", [])
            if codes:
                numbers = numbers.mask(numbers.isin(codes))
            if name in self.m["recode"]:
                table = self.m["recode"][name]
                recoded = numbers.map(table).astype("float64")
                numbers = recoded.where(numbers.isin(list(table)), numbers)
            data[name] = numbers
        canonical = pd.DataFrame(data, index=frame.index)
        if "respondent_id" in canonical:
            self.ids.append(canonical["respondent_id"].copy())  # a view would keep the chunk alive
        try:
            _schema(unique=False).validate(canonical, lazy=True)
        except pa.errors.SchemaErrors as exc:
            self.failures(exc.failure_cases, canonical, not_numbers)
        if self.keep and not self.tallies:
            self.kept.append(canonical)
        else:
            self.kept = []  # a file with problems returns no frame: keep nothing more

    def build_scales(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Put each scale built from items (the mapping's ``scales``, else the twin's layout) into ``frame``.

        An item's answers are numbers within the scale's range (after the missing codes), whole ones;
        reverse-keyed items are turned round; the score is the mean of the answered items when at least
        ``min_answered`` are. A file that also has the score must agree with it (to 0.005). Problems are
        tallied like the codebook's: per item column, with rows and values.
        """
        import numpy as np
        import pandas as pd

        if self.scales is None:
            columns = [str(c) for c in frame.columns]
            self.scales = {**self.m["scales"], **default_scales(columns, self.m)}
            for scale, spec in self.m["scales"].items():
                absent = [i for i in spec["items"] if i not in columns]
                if absent:
                    hints = [h for i in absent
                             for h in difflib.get_close_matches(i, columns, n=1, cutoff=0.6)]
                    raise DataError(
                        f"{self.source}: scale {scale!r}: item column{'s' if len(absent) > 1 else ''} "
                        f"{', '.join(map(repr, absent))} not in the file"
                        + (f" (is {', '.join(map(repr, hints))} meant?)" if hints else "")
                        + "; see 'scales' in the mapping")
        if not self.scales:
            return frame
        frame = frame.copy()
        for scale, spec in self.scales.items():
            low, high = spec["range"]
            base = self.order[scale] - 0.5
            scored = {}
            invalid = pd.Series(False, index=frame.index)  # rows with an answer reported above
            for j, item in enumerate(spec["items"]):
                numbers, bad = _to_numbers(frame[item])
                if len(bad):
                    self.tally(item, "item not a number", (base, 10 * j)).add(bad.index.to_numpy(), list(bad))
                    invalid |= frame.index.isin(bad.index)
                codes = self.m["missing"].get(item, []) + self.m["missing"].get("all", [])
                if codes:
                    numbers = numbers.mask(numbers.isin(codes))
                wrong = numbers.notna() & ((numbers < low) | (numbers > high) | (numbers != numbers.round()))
                if wrong.any():
                    rows = np.flatnonzero(wrong.to_numpy())
                    tally = self.tally(item, "item range", (base, 10 * j + 1))
                    tally.add(numbers.index.to_numpy()[rows], numbers.to_numpy()[rows])
                    numbers = numbers.mask(wrong)
                    invalid |= wrong
                scored[item] = low + high - numbers if item in spec["reverse"] else numbers
            items = pd.DataFrame(scored, index=frame.index)
            score = items.mean(axis=1).where(items.notna().sum(axis=1) >= spec["min_answered"])
            if scale in frame.columns:  # the file's own score: it must be the mean of its items
                own, _ = _to_numbers(frame[scale])
                off = own.notna() & score.notna() & ~invalid & ((own - score).abs() > SCORE_TOLERANCE)
                if off.any():
                    rows = np.flatnonzero(off.to_numpy())
                    tally = self.tally(scale, "items differ", (self.order[scale], 0.5))
                    tally.scale = ", ".join(spec["items"])
                    tally.add(frame.index.to_numpy()[rows], own.to_numpy()[rows],
                              score.to_numpy()[rows].round(4))
            frame[scale] = score
            if self.keep:
                self.items.setdefault(scale, []).append(items)
        return frame

    def item_frames(self) -> dict:
        """scale -> its scored items, rows as the returned frame's (blank rows left out)."""
        import pandas as pd

        out = {}
        for scale, parts in self.items.items():
            out[scale] = (pd.concat(parts) if len(parts) > 1 else parts[0]).reset_index(drop=True)
            # how the scale was built travels with its items (the reliability tables name the reverse items)
            out[scale].attrs.update(reverse=list(self.scales[scale]["reverse"]),
                                    min_answered=int(self.scales[scale]["min_answered"]))
        self.items = {}
        return out

    def failures(self, cases, canonical, not_numbers) -> None:
        """Tally pandera's failure cases of one chunk, one tally per (column, check)."""
        import numpy as np

        rest = cases[cases["check"] != "column_in_dataframe"]  # missing columns: see problems()
        for (context, column, check, number), group in rest.groupby(
            ["schema_context", "column", "check", "check_number"], dropna=False, sort=False
        ):
            rows = np.unique(group["index"].dropna().to_numpy(dtype="int64"))
            if context == "DataFrameSchema":
                blame, kind = self.frame_kinds[int(number)]
                if column != blame:
                    continue  # pandera lists every column of a failing row; report it once
                rank = (self.order[blame] + 0.5, int(number))
            else:
                blame = column
                if check == "not_nullable":
                    kind, rank = "missing", (self.order[blame], 1)
                elif number == number and number is not None:
                    kind, rank = self.kinds[column][int(number)], (self.order[blame], 3 + int(number))
                else:
                    kind, rank = f"other {check}", (self.order[blame], 2)
            if kind == "missing":
                rows = np.setdiff1d(rows, not_numbers.get(blame, []))  # reported as not a number already
                if not len(rows):
                    continue
            first = rows[:SHOW]
            values = canonical.loc[first, blame].to_numpy()
            paired = canonical.loc[first, _PAIRED[kind]].to_numpy() if kind in _PAIRED else None
            whole = True
            if kind == "codes":
                failing = canonical.loc[rows, blame].to_numpy()
                whole = bool(np.all(np.isfinite(failing) & (np.floor(failing) == failing)))
            self.tally(blame, kind, rank).add(rows, values, paired, whole)

    def duplicates(self) -> None:
        """Ids that occur more than once in the whole file (each chunk's were checked without the others)."""
        import pandas as pd

        if not self.ids:
            return
        ids = pd.concat(self.ids) if len(self.ids) > 1 else self.ids[0]
        self.ids = []
        ids = ids[ids.notna()]
        twice = ids[ids.duplicated(keep=False)]
        if len(twice):
            tally = self.tally("respondent_id", "duplicate", (self.order["respondent_id"], 2))
            tally.add(twice.index.to_numpy(), twice.to_numpy())
            tally.ids = int(twice.nunique())

    def problems(self) -> list[str]:
        """The messages, in codebook order; within a column, as pandera checks: empty, unique, checks."""
        out = []
        missing = [v.name for v in VARIABLES.values() if v.required and v.name not in self.columns]
        if missing:
            out.append(self.missing_columns(missing))
        for key in sorted(self.tallies, key=lambda k: self.rank[k]):
            out.append(f"column {key[0]!r}: {self.text(*key, self.tallies[key])}")
        return out

    def missing_columns(self, missing: list[str]) -> str:
        extra = [c for c in self.columns if c not in VARIABLES]
        renamed_from = {target: source for source, target in self.m["rename"].items()}
        parts = []
        for name in missing:
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
            if not self.m["rename"] else ""
        )
        return f"required {what} missing: {', '.join(parts)}{advice}"

    def text(self, blame: str, kind: str, t: _Tally) -> str:
        n, rows, shown = t.n, t.rows, t.shown
        if kind.startswith("item "):
            scale = next(s for s, spec in self.scales.items() if blame in spec["items"])
            low, high = self.scales[scale]["range"]
            allowed = f"allowed: whole answers from {_fmt(low)} to {_fmt(high)} (an item of {scale})"
            if kind == "item not a number":
                return (f"{count_text(n)} {'is not a number' if n == 1 else 'are not numbers'} "
                        f"({_rows(rows, shown)}); {allowed}")
            return (f"{_has(n, f'values outside {_fmt(low)}–{_fmt(high)} or not whole')} "
                    f"({_rows(rows, shown)}); {allowed}")
        if kind == "items differ":
            pairs = [f"{a} in the file, {b} from the items" for a, b in zip(shown, t.paired)]
            return (f"{count_text(n)} {'differs' if n == 1 else 'differ'} from the mean of its items "
                    f"{t.scale} ({_rows(rows, pairs)}); map either the score or its items, or correct one")
        v = VARIABLES[blame]
        if kind == "not a number":
            return (f"{count_text(n)} {'is not a number' if n == 1 else 'are not numbers'} "
                    f"({_rows(rows, shown)}); {_allowed(v)}")
        if kind == "missing":
            return (f"{count_text(n)} {'is' if n == 1 else 'are'} empty ({_rows(rows)}); "
                    f"{blame} must be filled in for every respondent")
        if kind == "duplicate":
            return (f"{count_text(n)} share {count_text(t.ids, 'ids')} ({_rows(rows, shown)}); "
                    "every respondent needs a unique id")
        if kind == "codes":
            contiguous = sorted(v.codes) == list(range(min(v.codes), max(v.codes) + 1))
            what = "values not among the codes"
            if contiguous and t.whole:
                what = f"values outside {min(v.codes)}–{max(v.codes)}"
            return f"{_has(n, what)} ({_rows(rows, shown)}); {_allowed(v)}"
        if kind == "range":
            span = _span(v) if _high(v) is not None else f"{_fmt(v.low)} and up"
            return f"{_has(n, 'values outside ' + span)} ({_rows(rows, shown)}); {_allowed(v)}"
        if kind == "positive":
            return f"{_has(n, 'weights of 0 or less')} ({_rows(rows, shown)}); {_allowed(v)}"
        if kind == "weight_max":
            return f"{_has(n, 'weights above ' + _fmt(WEIGHT_MAX))} ({_rows(rows, shown)}); {_allowed(v)}"
        if kind == "whole":
            return (f"{count_text(n)} {'is not a whole number' if n == 1 else 'are not whole numbers'} "
                    f"({_rows(rows, shown)}); {_allowed(v)}")
        if kind == "function>government":
            pairs = [f"{a} > {b}" for a, b in zip(shown, t.paired)]
            return (f"{count_text(n)} {'has' if n == 1 else 'have'} more years in the function than in "
                    f"government ({_rows(rows, pairs)}); "
                    "years_in_function may not exceed years_in_government")
        if kind == "government>age-15":
            pairs = [f"{a} at age {b}" for a, b in zip(shown, t.paired)]
            return (f"{count_text(n)} {'has' if n == 1 else 'have'} more years in government than age − 15 "
                    f"({_rows(rows, pairs)}); nobody works in government before the age of 15")
        # a pandera check this module did not foresee: still one readable line
        return f"{count_text(n)} fail pandera check {kind.removeprefix('other ')} ({_rows(rows, shown)})"


def validate(
    frame: pd.DataFrame,
    mapping: str | Path | dict | None = None,
    *,
    source: str = "data",
    note: str = _NOTE_ROWS,
) -> pd.DataFrame:
    """Turn a raw frame into the canonical analysis frame, or raise one DataError listing every problem.

    Steps: rename (mapping), keep the codebook columns, text to numbers (reporting what is not a
    number), extra missing codes, recode, then the pandera :func:`schema` with lazy validation,
    :data:`CHUNK_ROWS` rows at a time.

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
    canonical, _ = _Validation(mapping, source, note, keep=True).run(_slices(frame, CHUNK_ROWS))
    return canonical


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
    chunks, note = _read_chunks(path)
    canonical, _ = _Validation(mapping, str(path), note, keep=True).run(chunks)
    return canonical


def load_items(path: str | Path, mapping: str | Path | dict | None = None) -> tuple[pd.DataFrame, dict]:
    """:func:`load`, and the items of every scale built from items (the mapping's ``scales``, or the twin's
    ``<scale>_1`` ... columns).

    Returns
    -------
    frame : pandas.DataFrame
        As :func:`load` returns it.
    items : dict
        scale -> a frame of its items as scored (reverse-keyed items turned round, missing codes NaN),
        one row per row of ``frame``, columns named as in the file. Empty when no scale is built.
    """
    chunks, note = _read_chunks(path)
    validation = _Validation(mapping, str(path), note, keep=True)
    canonical, _ = validation.run(chunks)
    return canonical, validation.item_frames_kept


def check(path: str | Path, mapping: str | Path | dict | None = None) -> tuple[int, int]:
    """Validate a data file as :func:`load` does, keeping no frame; return (respondents, columns).

    Memory stays at a chunk of :data:`CHUNK_ROWS` rows and the ids, whatever the file's size.
    """
    chunks, note = _read_chunks(path)
    validation = _Validation(mapping, str(path), note, keep=False)
    _, columns = validation.run(chunks)
    return validation.rows, len(columns)
