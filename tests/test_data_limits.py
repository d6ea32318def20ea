"""werk.inputs.data at its limits: a file validated a chunk at a time, with its numbers converted by pandas'
C parser, gives what the whole file cell by cell gives."""

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
