"""Tables for reading (werk.display.tables): every cell a string, numbers from the data, checks applied."""

from __future__ import annotations

import pandas as pd
import pytest

from werk.display import tables


def _frame(rows: dict[tuple[int, int], int]) -> pd.DataFrame:
    """A frame with ``count`` respondents for every (sector, threat answer) in ``rows``."""
    sector, threat = [], []
    for (s, t), count in rows.items():
        sector += [s] * count
        threat += [t] * count
    return pd.DataFrame({"sector": sector, "threat": threat})


def test_crosstab_table_row_percentages_follow_the_data():
    df = _frame({(1, 1): 30, (1, 2): 50, (1, 3): 20, (2, 1): 10, (2, 2): 10, (2, 3): 20})
    out = tables.crosstab_table(df, "threat", "sector")
    first, second = out.iloc[0], out.iloc[1]
    assert list(out.columns[:2]) == ["sector", "n"]
    assert (first["sector"], first["n"], first["not at all"], first["hardly"], first["to a fair extent"]) == (
        "municipality", "100", "30.0", "50.0", "20.0")
    assert (second["n"], second["not at all"], second["to a fair extent"]) == ("40", "25.0", "50.0")
    # Other data, other numbers: move ten answers and the row moves with them.
    moved = _frame({(1, 1): 20, (1, 2): 60, (1, 3): 20, (2, 1): 10, (2, 2): 10, (2, 3): 20})
    assert tables.crosstab_table(moved, "threat", "sector").iloc[0]["not at all"] == "20.0"
    assert all(isinstance(v, str) for v in out.to_numpy().ravel()), "every cell is display text"


def test_crosstab_table_suppresses_small_cells_and_what_reveals_them():
    df = _frame({(1, 1): 40, (1, 2): 40, (1, 3): 4, (2, 1): 30, (2, 2): 30, (2, 3): 30, (3, 1): 5, (3, 2): 3})
    out = tables.crosstab_table(df, "threat", "sector", check="tab-x")
    chk = out.attrs["outputcheck"]
    assert chk.output == "tab-x" and chk.status == "suppressed"
    cells = {s["cell"]: s["rule"] for s in chk.suppressed}
    assert cells["municipality × to a fair extent"] == "threshold"  # 4 respondents
    # A group of 8 is suppressed whole, its n too.
    province = out[out["sector"] == "province"].iloc[0]
    assert province["n"] == "suppressed" and province["not at all"] == "suppressed"
    # Row protection: one suppressed cell in a row is joined by another, so it cannot be derived.
    municipality = out[out["sector"] == "municipality"].iloc[0]
    assert (municipality == "suppressed").sum() >= 2
    # Without a check nothing is withheld.
    plain = tables.crosstab_table(df, "threat", "sector")
    assert "suppressed" not in plain.to_numpy()
    assert "outputcheck" not in plain.attrs


def test_crosstab_table_dutch_labels_and_separators():
    df = _frame({(1, 1): 1, (1, 2): 2})
    out = tables.crosstab_table(df, "threat", "sector", lang="nl")
    assert out.columns[0] == "overheidsorgaan" and out.iloc[0, 0] == "gemeente"
    assert out.iloc[0][out.columns[2]] == "33,3"


@pytest.mark.parametrize("n", [9, 10])
def test_crosstab_table_threshold_is_ten(n):
    df = _frame({(1, 1): n, (1, 2): 50, (1, 3): 50, (2, 1): 50, (2, 2): 50, (2, 3): n})
    chk = tables.crosstab_table(df, "threat", "sector", check=True).attrs["outputcheck"]
    assert (chk.status == "suppressed") is (n < 10)
