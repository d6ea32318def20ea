"""werk.inputs.data: every awkward-but-valid format gives the same frame; every bad input one clear
message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from werk.core import paths
from werk.core.codebook import VARIABLES
from werk.core.errors import DataError
from werk.inputs import data

MAPPING_EXAMPLE = paths.DATA / "mapping.example.yml"


def write_csv(frame: pd.DataFrame, path: Path, **kw) -> Path:
    frame.to_csv(path, index=False, **kw)
    return path


def problem(path: Path, mapping=None) -> str:
    """The message of the DataError that loading ``path`` must raise."""
    with pytest.raises(DataError) as info:
        data.load(path, mapping)
    message = str(info.value)
    assert message.startswith(str(path)), message
    return message


# --------------------------------------------------------------------------- valid formats


def test_fixture_is_canonical(canonical_frame):
    assert list(canonical_frame.columns) == list(VARIABLES)


def test_comma_csv_round_trip(canonical_frame, tmp_path):
    loaded = data.load(write_csv(canonical_frame, tmp_path / "plain.csv"))
    pdt.assert_frame_equal(loaded, canonical_frame)
    assert loaded["respondent_id"].dtype == "int64" and loaded["sector"].dtype == "int64"
    assert (loaded.drop(columns=list(data.INT_COLUMNS)).dtypes == "float64").all()


def test_dutch_excel_csv(canonical_frame, tmp_path):
    """Semicolons, decimal commas, cp1252 and the empty ';;;' rows Excel leaves behind."""
    path = tmp_path / "excel.csv"
    text = canonical_frame.to_csv(index=False, sep=";", decimal=",")
    assert "36,5" in text or ",5;" in text  # the export really has decimal commas
    text += ";" * (len(VARIABLES) - 1) + "\n"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    pdt.assert_frame_equal(data.load(path), canonical_frame)


def test_parquet(canonical_frame, tmp_path):
    path = tmp_path / "frame.parquet"
    # Nullable integers, as a careful analyst might store codes, must come back as float64.
    stored = canonical_frame.astype({"gender": "Int64", "threat": "Int64"})
    stored.to_parquet(path)
    pdt.assert_frame_equal(data.load(path), canonical_frame)


def test_spss_user_missing_codes_become_nan(canonical_frame, tmp_path):
    import pyreadstat

    stored = canonical_frame.copy()
    stored["threat"] = stored["threat"].fillna(6)  # 6 = weet niet, declared user-missing
    stored["keep_up"] = stored["keep_up"].fillna(9)
    stored["age"] = stored["age"].fillna(-1)
    path = tmp_path / "werk.sav"
    pyreadstat.write_sav(
        stored, path, missing_ranges={"threat": [6], "keep_up": [9], "age": [{"lo": -9, "hi": -1}]}
    )
    _, meta = pyreadstat.read_sav(path, user_missing=True, metadataonly=True)
    assert meta.missing_ranges  # the codes are really declared in the file
    pdt.assert_frame_equal(data.load(path), canonical_frame)


def cbs_file(canonical: pd.DataFrame) -> pd.DataFrame:
    """The canonical frame as the real file would hold it, per data/mapping.example.yml."""
    mapping = data.read_mapping(MAPPING_EXAMPLE)
    raw = canonical.copy()
    for name, table in mapping["recode"].items():  # invert the recodes
        inverse = {new: old for old, new in table.items()}
        raw[name] = raw[name].map(lambda x, inverse=inverse: inverse.get(x, x))
    raw["threat"] = raw["threat"].fillna(6)  # weet niet
    raw["age"] = raw["age"].fillna(-1)  # niet ingevuld (missing: all)
    raw = raw.rename(columns={new: old for old, new in mapping["rename"].items()})
    raw.insert(3, "BURGSTAAT", 1)  # the real file has many more variables; they are ignored
    return raw


def test_mapping_example_loads_cbs_names(canonical_frame, tmp_path):
    raw = cbs_file(canonical_frame)
    assert {"RESPNR", "BEDREIGING_TECH", "BIJBENEN_TECH", "OVERHEIDSORGAAN"} <= set(raw.columns)
    assert (raw["VASTDIENST"].dropna().isin([1, 2])).all()
    path = write_csv(raw, tmp_path / "werkonderzoek.csv", sep=";", decimal=",")
    pdt.assert_frame_equal(data.load(path, MAPPING_EXAMPLE), canonical_frame)
    # a dict works as well as a path
    pdt.assert_frame_equal(data.load(path, data.read_mapping(MAPPING_EXAMPLE)), canonical_frame)


def test_weight_absent_means_one(canonical_frame, tmp_path):
    path = write_csv(canonical_frame.drop(columns="weight"), tmp_path / "noweight.csv")
    loaded = data.load(path)
    assert list(loaded.columns) == list(VARIABLES)
    assert (loaded["weight"] == 1.0).all()


def test_recode_swaps_values_at_once(canonical_frame, tmp_path):
    """{1: 2, 2: 1} must swap, not turn every 1 into 2 and back."""
    path = write_csv(canonical_frame, tmp_path / "swap.csv")
    loaded = data.load(path, {"recode": {"gender": {1: 2, 2: 1}}})
    pdt.assert_series_equal(loaded["gender"], 3 - canonical_frame["gender"])


# --------------------------------------------------------------------------- bad input, one class each


def test_missing_required_column(canonical_frame, tmp_path):
    path = write_csv(canonical_frame.drop(columns=["threat", "sector"]), tmp_path / "x.csv")
    message = problem(path)
    assert "required columns missing: 'sector', 'threat'" in message
    assert "mapping" in message


def test_missing_column_hints_at_mapping_name(canonical_frame, tmp_path):
    raw = cbs_file(canonical_frame).drop(columns="BIJBENEN_TECH")
    message = problem(write_csv(raw, tmp_path / "x.csv"), MAPPING_EXAMPLE)
    assert "'keep_up' (the mapping expects it as 'BIJBENEN_TECH')" in message


def test_codes_out_of_range(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    # rows 4, 9, 17 as a person counts data rows: frame positions 3, 8, 16
    bad.loc[[3, 8, 16], "threat"] = [7, 0, 9]
    path = write_csv(bad, tmp_path / "x.csv")
    message = problem(path)
    assert (
        f"{path}: column 'threat': 3 rows have values outside 1–5 (rows 4, 9, 17: 7, 0, 9); "
        "allowed codes: 1 helemaal niet … 5 in zeer grote mate"
    ) in message
    assert "row N is line N+1" in message
    # the convention holds: line 5 of the file (row 4) holds the 7
    line = path.read_text().splitlines()[4].split(",")
    assert float(line[list(VARIABLES).index("threat")]) == 7


def test_code_between_codes_and_scale_out_of_range(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[1, "gender"] = 1.5
    bad.loc[[0, 2], "employability"] = [5.25, 0.5]
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'gender': 1 row has a value not among the codes "
        "(row 2: 1.5); allowed codes: 1 man, 2 vrouw"
    ) in message
    assert (
        "column 'employability': 2 rows have values outside 1–5 "
        "(rows 1, 3: 5.25, 0.5); allowed: numbers from 1 to 5"
    ) in message


def test_not_numbers_named_with_their_text(canonical_frame, tmp_path):
    bad = canonical_frame.astype({"age": "object", "sector": "object"})
    bad.loc[[1, 5], "age"] = ["abc", "4O"]
    bad.loc[2, "sector"] = "gemeente"
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'age': 2 rows are not numbers "
        "(rows 2, 6: 'abc', '4O'); allowed: whole numbers from 15 to 75"
    ) in message
    assert "column 'sector': 1 row is not a number (row 3: 'gemeente')" in message
    assert "empty" not in message  # a non-number in sector is not reported twice


def test_duplicate_ids(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[[4, 9], "respondent_id"] = 1001
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert "column 'respondent_id': 3 rows share 1 id (rows 1, 5, 10: 1001, 1001, 1001)" in message


def test_non_positive_weights(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[[2, 6], "weight"] = [0, -1.5]
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'weight': 2 rows have weights of 0 or less "
        "(rows 3, 7: 0, -1.5); allowed: numbers greater than 0"
    ) in message


def test_missing_id_and_sector(canonical_frame, tmp_path):
    bad = canonical_frame.astype({"respondent_id": "float64", "sector": "float64"})
    bad.loc[[0, 33], "respondent_id"] = np.nan
    bad.loc[[7], "sector"] = np.nan
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert "column 'respondent_id': 2 rows are empty (rows 1, 34)" in message
    assert "column 'sector': 1 row is empty (row 8)" in message
    assert "share" not in message  # two missing ids are not a duplicate id


def test_impossible_combinations(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[[0, 1], ["years_in_government", "years_in_function"]] = [[3, 10], [2, 5]]
    bad.loc[[2], ["age", "years_in_government", "years_in_function"]] = [[40, 30, 0]]
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'years_in_function': 2 rows have more years in the function than in government "
        "(rows 1, 2: 10 > 3, 5 > 2)"
    ) in message
    assert (
        "column 'years_in_government': 1 row has more years in government than age − 15 "
        "(row 3: 30 at age 40)"
    ) in message


def test_whole_numbers(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[[0], "age"] = 30.5
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert "column 'age': 1 row is not a whole number (row 1: 30.5)" in message


def test_many_bad_rows_show_five(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad["keep_up"] = 8.0
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'keep_up': 40 rows have values outside 1–5 "
        "(rows 1, 2, 3, 4, 5: 8, 8, 8, 8, 8); "
    ) in message


def test_all_problems_in_one_message_in_codebook_order(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[0, "leadership"] = 9
    bad.loc[0, "sector"] = 8
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    lines = message.splitlines()
    assert "'sector'" in lines[0] and "'leadership'" in lines[1] and lines[2].startswith("(row numbers")


def test_spss_row_numbers_are_case_numbers(canonical_frame, tmp_path):
    import pyreadstat

    bad = canonical_frame.copy()
    bad.loc[9, "income"] = 6
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(bad, path)
    message = problem(path)
    assert "column 'income': 1 row has a value outside 1–5 (row 10: 6)" in message
    assert "SPSS case numbers" in message


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"respondent_id,sector\n", "no data rows"),
        ("blank_rows.csv", b"respondent_id;sector\n;\n;\n", "no data rows"),
        ("garbage.csv", bytes(range(256)) * 4, "binary"),
        ("corrupt.parquet", b"PAR1" + b"\x07" * 200, "parquet"),
        ("notparquet.parquet", b"respondent_id\n1\n", "parquet"),
        ("corrupt.sav", b"$FL2" + b"\x01" * 300, "SPSS"),
        ("book.xlsx", b"PK\x03\x04" + b"\x00" * 50, "Excel"),
        ("data.json", b'{"respondent_id": 1}', "unsupported file type '.json'"),
        ("ragged.csv", b"respondent_id,sector\n1,2\n2,3,4,5\n", "cannot be read as CSV"),
    ],
)
def test_unreadable_files(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in problem(path)


def test_file_not_found(tmp_path):
    assert "file not found" in problem(tmp_path / "nothere.csv")


def test_empty_parquet(canonical_frame, tmp_path):
    path = tmp_path / "empty.parquet"
    canonical_frame.iloc[:0].to_parquet(path)
    assert "no data rows" in problem(path)


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ({"rename": {"GESLACHT": "geslacht"}}, "rename GESLACHT: 'geslacht' is not a codebook variable"),
        ({"recode": {"treat": {1: 2}}}, "did you mean 'threat'?"),
        ({"missing": {"threat": ["weet niet"]}}, "missing code 'weet niet' is not a number"),
        ({"renames": {}}, "unknown keys"),
    ],
)
def test_bad_mappings(canonical_frame, tmp_path, mapping, expected):
    path = write_csv(canonical_frame, tmp_path / "x.csv")
    with pytest.raises(DataError, match="mapping") as info:
        data.load(path, mapping)
    assert expected in str(info.value)


def test_mapping_file_errors(canonical_frame, tmp_path):
    path = write_csv(canonical_frame, tmp_path / "x.csv")
    broken = tmp_path / "broken.yml"
    broken.write_text("rename: {A: [\n")
    with pytest.raises(DataError, match="broken.yml: not valid YAML"):
        data.load(path, broken)
    with pytest.raises(DataError, match="mapping file not found"):
        data.load(path, tmp_path / "none.yml")


# --------------------------------------------------------------------------- command line

# The dispatcher imports every subcommand module to build its help; limit it to `validate`
# so these tests do not depend on modules other issues are still writing.
VALIDATE = textwrap.dedent(
    """
    import sys, werk.cli as cli
    cli.COMMANDS = {"validate": cli.COMMANDS["validate"]}
    sys.exit(cli.main(sys.argv[1:]))
    """
)


def run_validate(*args, entry=None):
    return run_many([args], entry=entry)[0]


def run_many(arg_lists, entry=None):
    """Run `werk validate` once per argument list, side by side (each start pays pandas' import)."""
    command = entry or [sys.executable, "-c", VALIDATE]
    procs = [
        subprocess.Popen(
            [*command, "validate", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in arg_lists
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_cli_valid_file(canonical_frame, tmp_path):
    path = write_csv(cbs_file(canonical_frame), tmp_path / "cbs.csv")
    done = run_validate(path, "--mapping", MAPPING_EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{path}: 40 respondents, 23 columns, valid"


def test_cli_bad_files_exit_2_without_traceback(canonical_frame, tmp_path):
    cases = {}
    bad = canonical_frame.copy()
    bad.loc[3, "threat"] = 7
    cases["threat"] = write_csv(bad, tmp_path / "codes.csv")
    bad = canonical_frame.astype({"age": "object"})
    bad.loc[0, "age"] = "veertig"
    cases["age"] = write_csv(bad, tmp_path / "text.csv", sep=";")
    bad = canonical_frame.copy()
    bad.loc[1, "respondent_id"] = 1001
    bad.to_parquet(tmp_path / "dup.parquet")
    cases["respondent_id"] = tmp_path / "dup.parquet"
    garbage = tmp_path / "garbage.sav"
    garbage.write_bytes(b"\x00\xff" * 100)
    cases[None] = garbage
    for (column, path), done in zip(cases.items(), run_many([[p] for p in cases.values()])):
        assert done.returncode == 2, (path, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"werk validate: error: {path}: ")
        assert column is None or f"'{column}'" in done.stderr


def test_real_werk_command(canonical_frame, tmp_path):
    """The installed `werk validate`."""
    werk = Path(sys.executable).with_name("werk")
    done = run_validate(tmp_path / "absent.csv", entry=[str(werk)])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "absent.csv: file not found" in done.stderr


def test_import_is_quiet_and_lazy():
    heavy = "('pandas', 'pandera', 'pyarrow', 'pyreadstat')"
    code = f"import sys, werk.inputs.data; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]" and done.stderr == ""
