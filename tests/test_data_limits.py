"""werk.inputs.data at its limits: values the analysis cannot take are refused, and a file validated a chunk
at a time, with its numbers converted by pandas' C parser, gives what the whole file cell by cell gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from werk.core.errors import DataError
from werk.inputs import data


def write_csv(frame: pd.DataFrame, path, **kw):
    frame.to_csv(path, index=False, **kw)
    return path


def problem(path) -> str:
    with pytest.raises(DataError) as info:
        data.load(path)
    return str(info.value)


# --------------------------------------------------------------------------- what the analysis cannot use


@pytest.mark.parametrize("weights, expected", [
    (["inf"], "1 row has a weight above 1000000 (row 3: inf)"),
    (["1e308"], "1 row has a weight above 1000000 (row 3: 1e+308)"),
    (["inf", "1e7"], "2 rows have weights above 1000000 (rows 3, 4: inf, 10000000)"),
])
def test_weights_must_be_finite_and_believable(canonical_frame, tmp_path, weights, expected):
    bad = canonical_frame.astype({"weight": "object"})
    bad.loc[range(2, 2 + len(weights)), "weight"] = weights
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert f"column 'weight': {expected}; allowed: numbers greater than 0 and at most 1000000" in message


def test_the_largest_weight_and_an_empty_one_are_fine(canonical_frame, tmp_path):
    ok = canonical_frame.copy()
    ok.loc[0, "weight"] = data.WEIGHT_MAX
    ok.loc[1, "weight"] = np.nan  # a respondent without a weight drops out of the weighted models
    loaded = data.load(write_csv(ok, tmp_path / "x.csv"))
    assert loaded.loc[0, "weight"] == data.WEIGHT_MAX and np.isnan(loaded.loc[1, "weight"])


def test_ids_that_lose_digits_are_refused(canonical_frame, tmp_path):
    """1e20 and 2e20 both became -9223372036854775808: two respondents with one id."""
    bad = canonical_frame.astype({"respondent_id": "object"})
    bad.loc[[3, 7], "respondent_id"] = ["1e20", "2e20"]
    bad.loc[9, "respondent_id"] = str(2**53)  # 9007199254740993 reads as this too
    bad.loc[11, "respondent_id"] = "1e400"  # beyond float64: inf
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert (
        "column 'respondent_id': 4 rows have values outside 0–9007199254740991 "
        "(rows 4, 8, 10, 12: 1e+20, 2e+20, 9007199254740992, inf); "
        "allowed: whole numbers from 0 to 9007199254740991"
    ) in message
    assert "share" not in message


def test_parquet_ids_beyond_float64_are_refused(canonical_frame, tmp_path):
    bad = canonical_frame.copy()
    bad.loc[4, "respondent_id"] = 2**60  # an int64 the file holds exactly, but a float64 does not
    bad.to_parquet(tmp_path / "x.parquet")
    assert "column 'respondent_id': 1 row has a value outside 0–9007199254740991 (row 5: " in problem(
        tmp_path / "x.parquet")


def test_the_largest_id_is_kept_exactly(canonical_frame, tmp_path):
    ok = canonical_frame.copy()
    ok.loc[0, "respondent_id"] = data.ID_MAX
    loaded = data.load(write_csv(ok, tmp_path / "x.csv"))
    assert loaded["respondent_id"].dtype == "int64" and int(loaded.loc[0, "respondent_id"]) == 2**53 - 1


def test_every_column_has_an_upper_bound():
    """Nothing infinite passes any column: each has a codebook range, or the id's or the weight's."""
    for v in data.VARIABLES.values():
        kinds = [kind for kind, _ in data._column_checks(v)]
        assert {"codes", "range", "weight_max"} & set(kinds), v.name
        assert v.codes or v.kind == "weight" or data._high(v) is not None, v.name


# --------------------------------------------------------------------------- chunks and the C parser

TOKENS = ["1", " 3", "3 ", "3,5", "3.5", "1.234,5", "1,234", ",5", "5,", "+3", "-0", "1e5", "1E5", ".5", "5.",
          "inf", "-Infinity", "infinity ", "NaN ", "NA ", "  ", "1_000", "0x10", "1e400", "1.5e-400",
          "\xa03", "\x1c3", "True", "FALSE", "x", "4O", "9007199254740993", "12345678901234567890",
          "0.30000000000000004", "1.00000000000000001", "0" * 30 + "1"]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_c_parser_numbers_are_the_cell_by_cell_numbers(tmp_path, sep):
    """Each token among numbers (the C parser converts the column) and among words (the column is text,
    converted by pd.to_numeric and cell by cell) gives the same number, or the same 'not a number'."""
    comma = sep == ";"
    for i, token in enumerate(TOKENS):
        quoted = f'"{token}"' if sep in token else token
        lines = [sep.join(["typed", "text"]), sep.join(["1", "word"]), sep.join([quoted, quoted]),
                 sep.join(["2,5" if comma else "2.5", "7"])]
        path = tmp_path / f"t{i}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        (chunk,), _ = data._read_chunks(path)
        typed, typed_bad = data._to_numbers(chunk["typed"].set_axis(range(1, 4)))
        text, text_bad = data._cells_to_numbers(chunk["text"].astype(object).set_axis(range(1, 4)))
        assert np.array_equal(typed.to_numpy()[1:2], text.to_numpy()[1:2], equal_nan=True), (sep, token)
        assert list(typed_bad) == [b for b in text_bad if b != "word"], (sep, token)


def test_chunks_give_the_message_and_frame_of_the_whole_file(canonical_frame, tmp_path, monkeypatch):
    bad = canonical_frame.astype({"age": "object", "threat": "object"})
    bad.loc[[0, 39], "respondent_id"] = 1040  # the same id in the first chunk and the last
    bad.loc[[2, 9, 17, 25, 33, 38], "threat"] = ["7", "0", "9", "8", "x", "3,5"]
    bad.loc[[4, 30], "age"] = ["abc", "14"]
    bad.loc[[1, 21], ["years_in_government", "years_in_function"]] = [[3, 10], [2, 5]]
    path = write_csv(bad, tmp_path / "x.csv", sep=";", decimal=",")
    whole = problem(path)
    monkeypatch.setattr(data, "CHUNK_ROWS", 7)
    assert problem(path) == whole
    assert "2 rows share 1 id (rows 1, 40: 1040, 1040)" in whole
    assert "5 rows have values not among the codes (rows 3, 10, 18, 26, 39: 7, 0, 9, 8, 3.5)" in whole

    good = write_csv(canonical_frame, tmp_path / "good.csv", sep=";", decimal=",")
    pdt.assert_frame_equal(data.load(good), canonical_frame)
    assert data.check(good) == (40, 23)


def test_booleans_in_a_csv_are_shown_as_the_file_writes_them(canonical_frame, tmp_path):
    """pandas reads a column of only TRUE/false as booleans; the message shows the file's words."""
    bad = canonical_frame.astype({"manager": "object"})
    bad["manager"] = ["TRUE", "false"] * 20
    message = problem(write_csv(bad, tmp_path / "x.csv"))
    assert "column 'manager': 40 rows are not numbers (rows 1, 2, 3, 4, 5: 'TRUE', 'false', " in message
