"""Scales built from items by the loader (werk.inputs.data, the mapping's ``scales``) and their messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werk import cli
from werk.core import codebook, paths
from werk.core.errors import DataError
from werk.inputs import data

# Four employability items for the first three respondents, INZ4 reverse-keyed; -9 is "no answer".
#   row 1: 4, 5, 3, reverse 2 -> 4       mean of 4, 5, 3, 4 = 4.0
#   row 2: 2, -9, 3, reverse 5 -> 1      three answered (min 3): mean of 2, 3, 1 = 2.0
#   row 3: 5, -9, NaN, reverse 1 -> 5    two answered: below min_answered, no score
HAND = {"INZ1": [4, 2, 5], "INZ2": [5, -9, -9], "INZ3": [3, 3, np.nan], "INZ4": [2, 5, 1]}
MAPPING = {"missing": {"all": [-9]},
           "scales": {"employability": {"items": ["INZ1", "INZ2", "INZ3", "INZ4"], "reverse": ["INZ4"],
                                        "min_answered": 3}}}


def item_file(canonical_frame, tmp_path, name="items.csv", **changes):
    frame = canonical_frame.drop(columns="employability").head(3).copy()
    for col, values in {**HAND, **changes}.items():
        frame[col] = values
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def problem(path, mapping) -> str:
    with pytest.raises(DataError) as info:
        data.load(path, mapping)
    return str(info.value)


def test_reverse_keyed_item_and_missing_answers_by_hand(canonical_frame, tmp_path):
    df, items = data.load_items(item_file(canonical_frame, tmp_path), MAPPING)
    assert df["employability"].iloc[0] == 4.0
    assert df["employability"].iloc[1] == 2.0
    assert np.isnan(df["employability"].iloc[2])
    assert items["employability"]["INZ4"].tolist() == [4, 1, 5]  # scored: 6 - answer
    assert items["employability"]["INZ2"].isna().tolist() == [False, True, True]
    assert items["employability"].attrs == {"reverse": ["INZ4"], "min_answered": 3}


def test_a_file_with_scores_still_maps_them(canonical_frame, tmp_path):
    path = tmp_path / "scores.csv"
    canonical_frame.to_csv(path, index=False)
    df, items = data.load_items(path)
    assert items == {}
    np.testing.assert_array_equal(df["employability"], canonical_frame["employability"])


def test_items_outside_their_range(canonical_frame, tmp_path):
    message = problem(item_file(canonical_frame, tmp_path, INZ3=[3, 7, 2.5]), MAPPING)
    assert ("column 'INZ3': 2 rows have values outside 1–5 or not whole (rows 2, 3: 7, 2.5); allowed: whole "
            "answers from 1 to 5 (an item of employability)") in message
    assert message.startswith(str(tmp_path / "items.csv"))


@pytest.mark.parametrize("spec, says", [
    ({"items": ["INZ1", "INZ2"], "reverse": ["INZ4"]},
     "scales: employability: reverse item 'INZ4' is not among its items (INZ1, INZ2)"),
    ({"items": ["INZ1"]}, "scales: employability has 1 item; a scale needs at least two"),
    ({"items": ["INZ1", "INZ2"], "min_answered": 3}, "min_answered 3 must be a whole number from 1 to 2"),
    ({"items": ["INZ1", "INZ1"]}, "item 'INZ1' is listed twice"),
    ({"reverse": ["INZ1"]}, "give its 'items'"),
])
def test_mapping_refuses_bad_scales(spec, says):
    with pytest.raises(DataError, match=says.replace("(", r"\(").replace(")", r"\)")):
        data.read_mapping({"scales": {"employability": spec}})


def test_unknown_scale_and_missing_items(canonical_frame, tmp_path):
    with pytest.raises(DataError, match=r"'employabilty' is not a scale of the codebook \(did you mean "
                                        r"'employability'\?\)"):
        data.read_mapping({"scales": {"employabilty": {"items": ["A", "B"]}}})
    mapping = {"scales": {"employability": {"items": ["INZ1", "INZ_2"]}}}
    message = problem(item_file(canonical_frame, tmp_path), mapping)
    assert "scale 'employability': item column 'INZ_2' not in the file (is 'INZ2' meant?)" in message


def test_validate_cli_on_items_exits_2_without_traceback(canonical_frame, tmp_path, capsys):
    import yaml

    path = item_file(canonical_frame, tmp_path, INZ1=[4, 9, 5])
    mapping = tmp_path / "m.yml"
    mapping.write_text(yaml.safe_dump(MAPPING), encoding="utf-8")
    assert cli.main(["validate", str(path), "--mapping", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert "column 'INZ1': 1 row has a value outside 1–5 or not whole (row 2: 9)" in err
    assert "Traceback" not in err


def test_the_twin_builds_its_scales_from_items(tmp_path):
    df, items = data.load_items(paths.TWIN)
    raw = pd.read_csv(paths.TWIN)
    assert set(items) == set(codebook.SCALES)
    for scale in codebook.SCALES:
        assert list(items[scale].columns) == codebook.scale_items(scale)
        np.testing.assert_allclose(df[scale], raw[scale], atol=1e-9)  # the scores it carries agree
    # a twin whose stated score disagrees with its items is refused, naming the rows
    raw.loc[4, "leadership"] = 1.0 if raw.loc[4, "leadership"] != 1.0 else 2.0
    path = tmp_path / "twin.csv"
    raw.to_csv(path, index=False)
    said = problem(path, None)
    assert "column 'leadership': 1 row differs from the mean of its items leadership_1, " in said


def test_validate_report_prints_reliabilities(capsys):
    assert cli.main(["validate", "--report"]) == 0
    out = capsys.readouterr().out
    assert "adaptability = mean of adaptability_1, adaptability_2, adaptability_3, adaptability_4" in out
    assert "α" in out and "ω" in out and "item-rest r" in out and "α if deleted" in out
    assert "career_self_management_4" in out  # a reverse-keyed item, named


def test_reliability_of_a_small_scale_is_suppressed():
    from werk.display.reliability import reliability_tables

    _, items = data.load_items(paths.TWIN)
    small = {"leadership": items["leadership"].dropna().head(9),
             "expertise": items["expertise"].dropna().head(11),
             "hrm_quality": items["hrm_quality"].dropna().head(12)}
    scales, per_item = reliability_tables(small, check=True)
    chk = scales.attrs["outputcheck"]
    assert {s["rule"] for s in chk.suppressed} == {"threshold", "dof"}
    assert chk.hidden == {"leadership", "expertise"}
    assert (scales.iloc[0, 3:] == "suppressed").all() and (per_item.iloc[:8, 3:] == "suppressed").all().all()
    assert "suppressed" not in scales.iloc[2].tolist()


def test_cli_fit_keeps_items(tmp_path):
    out = tmp_path / "params.yml"
    assert cli.main(["synth", "fit", str(paths.TWIN), "--out", str(out)]) == 0
    import yaml

    params = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert set(params["items"]) == set(codebook.SCALES) and params["items"]["leadership"]["k"] == 4
    assert min(v["n"] for v in params["items"].values()) >= 10


def test_mapping_example_shows_a_valid_scales_section():
    text = (paths.DATA / "mapping.example.yml").read_text(encoding="utf-8")
    block = text[text.index("# scales:"):].splitlines()
    import yaml

    mapping = data.read_mapping(yaml.safe_load("\n".join(line[2:] for line in block)))
    assert mapping["scales"]["adaptability"]["reverse"] == ["AANP_4"]
    assert mapping["scales"]["employability"]["min_answered"] == 3


def test_a_twin_of_items_only_gives_the_book_the_same_frame(tmp_path):
    """What the book reads from a file without a single scale score is what it reads from the twin."""
    import pandas.testing as pdt

    raw = pd.read_csv(paths.TWIN)
    path = tmp_path / "items-only.csv"
    raw.drop(columns=list(codebook.SCALES)).to_csv(path, index=False)
    pdt.assert_frame_equal(data.load(path), data.load(paths.TWIN))


def test_the_book_shows_each_scales_construction_and_reliability(built_book):
    from werk.stats import reliability

    html = (built_book / "_build" / "html" / "notebooks" / "06_methods.html").read_text(encoding="utf-8")
    assert "Reliability of the scales built from items" in html and "The items of each scale" in html
    _, items = data.load_items(paths.TWIN)
    alpha = reliability.cronbach_alpha(items["leadership"])
    assert f"{alpha:.2f}".lstrip("0") in html and "career_self_management_4" in html


def test_the_reliability_table_names_a_mappings_reverse_items(canonical_frame, tmp_path):
    from werk.display.reliability import reliability_tables

    _, items = data.load_items(item_file(canonical_frame, tmp_path), MAPPING)
    scales, per_item = reliability_tables(items)
    assert scales.loc[0, "reverse-keyed"] == "`INZ4`"
    assert per_item["item"].tolist()[-1] == "`INZ4` (reverse-keyed)"
