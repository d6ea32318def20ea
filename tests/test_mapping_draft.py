"""``werk mapping draft``: a mapping proposed from an SPSS file's own labels, checked by ``werk validate``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from werk import cli
from werk.core import codebook, paths
from werk.inputs import data

pyreadstat = pytest.importorskip("pyreadstat")

# CBS-style names and Dutch labels; the file's codes are not the codebook's (shuffled sectors, gender 1 vrouw,
# ja/nee as 1/2, threat coded from high to low, 9 'weet niet').
SECTOR_FILE = {1: 2, 2: 1, 3: 6, 4: 3, 5: 7, 6: 4, 7: 5}  # file code -> codebook code
VARS = {
    "RINPERSOON": ("respondent_id", "Respondentnummer", None),
    "WEEGF": ("weight", "Weegfactor", None),
    "ORGTYPE": ("sector", "Overheidsorgaan (type organisatie)",
                {f: codebook.SECTORS[c][0].capitalize() for f, c in SECTOR_FILE.items()}),
    "LFT": ("age", "Leeftijd in jaren", {-1: "Onbekend"}),
    "GESL": ("gender", "Geslacht", {1: "Vrouw", 2: "Man"}),
    "OPLN": ("education", "Opleidingsniveau", {1: "Laag", 2: "Middelbaar", 3: "Hoog"}),
    "INKKL": ("income", "Inkomensklasse", None),
    "VAST": ("permanent_contract", "Vast dienstverband", {1: "Ja", 2: "Nee"}),
    "LEIDING": ("manager", "Leidinggevende functie", {1: "Ja", 2: "Nee"}),
    "BANEN2": ("multiple_jobs", "Twee of meer banen", {1: "Ja", 2: "Nee"}),
    "UREN": ("contract_hours", "Aanstelling in uren per week", None),
    "JROVH": ("years_in_government", "Jaren in dienst bij de overheid", None),
    "JRFUNC": ("years_in_function", "Jaren in de huidige functie", None),
    "TECHBEDR": ("threat", "Technologische ontwikkelingen een bedreiging voor het behoud van uw werk",
                 {1: "In zeer grote mate", 2: "In grote mate", 3: "In redelijke mate", 4: "Nauwelijks",
                  5: "Helemaal niet", 9: "Weet niet"}),
    "TECHBIJ": ("keep_up", "Kunt u de technologische veranderingen in uw werk bijbenen",
                {1: "Zeer slecht", 2: "Slecht", 3: "Redelijk", 4: "Goed", 5: "Zeer goed"}),
}


AGREEMENT = {1: "Helemaal mee oneens", 2: "Mee oneens", 3: "Neutraal", 4: "Mee eens", 5: "Helemaal mee eens",
             8: "Weet niet"}
#: The same answers coded from agreement to disagreement, as some questionnaires do.
AGREEMENT_DOWN = {1: "Helemaal mee eens", 2: "Mee eens", 3: "Niet eens, niet oneens", 4: "Mee oneens",
                  5: "Helemaal mee oneens", 8: "Weet niet"}


@pytest.fixture(scope="module")
def sav(tmp_path_factory):
    return write_sav(tmp_path_factory.mktemp("sav") / "werkonderzoek.sav")


def write_sav(path, coded_down=()):
    """The twin's first 400 rows as a CBS-style .sav; the items named in ``coded_down`` coded 1 = agree."""
    twin = pd.read_csv(paths.TWIN).head(400)
    out, labels, values = {}, {}, {}
    for name, (target, label, vlabels) in VARS.items():
        x = twin[target].copy()
        if target == "sector":
            x = x.map({c: f for f, c in SECTOR_FILE.items()})
        elif target == "gender":
            x = 3 - x
        elif target in ("permanent_contract", "manager", "multiple_jobs"):
            x = x.map({1: 1, 0: 2})
        elif target == "threat":
            x = (6 - x).fillna(9)
        out[name], labels[name] = x, label
        if vlabels:
            values[name] = vlabels
    for j, item in enumerate(codebook.ITEMS.values()):  # items as V101...: only the labels say what they are
        name = f"V{101 + j}"
        # labels as a questionnaire might word them: numbered, lower case, a word added
        wording = f"Stelling {j % 4 + 1}: {item.nl.lower().replace('organisatie', 'organisatie (werkgever)')}"
        down = item.name in coded_down
        out[name], labels[name] = (6 - twin[item.name]) if down else twin[item.name], wording
        values[name] = AGREEMENT_DOWN if down else AGREEMENT
    out["BURGST"], labels["BURGST"] = 1.0, "Burgerlijke staat"
    frame = pd.DataFrame(out)
    pyreadstat.write_sav(frame, str(path), column_labels=[labels[c] for c in frame.columns],
                         variable_value_labels=values)
    return path, twin


def test_draft_proposes_the_clearly_labelled_variables(sav, tmp_path):
    path, _ = sav
    text = cli_draft(path, tmp_path)
    mapping = data.read_mapping(yaml.safe_load(text))
    want = {name: target for name, (target, *_) in VARS.items()}
    assert mapping["rename"] == want
    assert mapping["recode"]["sector"] == {float(f): float(c) for f, c in SECTOR_FILE.items()}
    assert mapping["recode"]["gender"] == {1.0: 2.0, 2.0: 1.0}
    assert mapping["recode"]["manager"] == {1.0: 1.0, 2.0: 0.0}
    assert mapping["recode"]["threat"] == {1.0: 5.0, 2.0: 4.0, 3.0: 3.0, 4.0: 2.0, 5.0: 1.0}
    assert mapping["missing"]["threat"] == [9.0] and mapping["missing"]["age"] == [-1.0]
    names = list(codebook.ITEMS)
    for scale in codebook.SCALES:
        spec = mapping["scales"][scale]
        assert spec["items"] == [f"V{101 + names.index(i)}" for i in codebook.scale_items(scale)]
        assert spec["reverse"] == [f"V{101 + names.index(i)}" for i in codebook.reverse_items(scale)]
    # every proposal is marked for the analyst to confirm
    body = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    guesses = [line for line in body if ":" in line and not line.rstrip().endswith(":")
               and not line.strip().startswith(("items:", "min_answered:"))]
    assert guesses and all("GUESS" in line for line in guesses)
    assert "BURGST" not in text


def test_validate_accepts_the_draft(sav, tmp_path, capsys):
    path, twin = sav
    text = cli_draft(path, tmp_path)
    draft_file = tmp_path / "draft.yml"
    draft_file.write_text(text, encoding="utf-8")
    assert cli.main(["validate", str(path), "--mapping", str(draft_file), "--report"]) == 0
    assert "α" in capsys.readouterr().out
    df = data.load(path, draft_file)
    for col in ["sector", "gender", "threat", "manager", *codebook.SCALES]:
        np.testing.assert_array_equal(df[col].to_numpy(), twin[col].to_numpy(), err_msg=col)


def test_draft_marks_what_it_cannot_find(tmp_path):
    frame = pd.DataFrame({"X1": [1.0, 2.0], "X2": [3.0, 4.0]})
    path = tmp_path / "odd.sav"
    pyreadstat.write_sav(frame, str(path), column_labels=["Leeftijd", "Iets heel anders"])
    text = cli_draft(path, tmp_path)
    assert "X1: age" in text and "GUESS" in text
    assert "# NOT FOUND: sector" in text and "# NOT FOUND: employability" in text
    assert "X2" not in text


def test_draft_refuses_a_csv(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    assert cli.main(["mapping", "draft", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not an SPSS .sav file" in err and "Traceback" not in err


def cli_draft(path, tmp_path):
    out = tmp_path / f"draft-{path.stem}-{len(list(tmp_path.iterdir()))}.yml"
    assert cli.main(["mapping", "draft", str(path), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def v(item):
    return f"V{101 + list(codebook.ITEMS).index(item)}"


def test_draft_reverses_an_item_coded_from_agreement_to_disagreement(tmp_path):
    # employability_2 (worded with the scale) and adaptability_4 (worded against it) coded 1 = agree
    path = write_sav(tmp_path / "down.sav", coded_down={"employability_2", "adaptability_4"})[0]
    text = cli_draft(path, tmp_path)
    mapping = data.read_mapping(yaml.safe_load(text))
    assert mapping["scales"]["employability"]["reverse"] == [v("employability_2")]
    assert (f"# {v('employability_2')}: its value labels run from agreement to disagreement "
            "(1 'Helemaal mee eens' ... 5 'Helemaal mee oneens')") in text
    # a reverse-keyed item coded the other way round is reversed twice: not at all
    assert mapping["scales"]["adaptability"].get("reverse", []) == []
    assert f"# {v('adaptability_4')}: not reversed: worded against the scale" in text
    # the scales built with the draft are the twin's own
    twin = pd.read_csv(paths.TWIN).head(400)
    draft_file = tmp_path / "down.yml"
    draft_file.write_text(text, encoding="utf-8")
    df = data.load(path, draft_file)
    for scale in ["employability", "adaptability", "leadership"]:
        np.testing.assert_allclose(df[scale].to_numpy(), twin[scale].to_numpy(), err_msg=scale)


def test_draft_reverses_no_item_coded_from_disagreement_to_agreement(sav, tmp_path):
    text = cli_draft(sav[0], tmp_path)
    mapping = data.read_mapping(yaml.safe_load(text))
    assert mapping["scales"]["employability"].get("reverse", []) == []
    assert mapping["scales"]["adaptability"]["reverse"] == [v("adaptability_4")]
    assert "value labels run from agreement" not in text and "not reversed" not in text


@pytest.mark.parametrize("labels, runs", [
    (AGREEMENT, "up"), (AGREEMENT_DOWN, "down"),
    ({1: "Helemaal akkoord", 2: "Akkoord", 4: "Niet akkoord", 5: "Helemaal niet akkoord"}, "down"),
    ({1: "Zeer slecht", 5: "Zeer goed"}, None),  # no agreement: says nothing
    ({1: "Mee eens", 2: "Mee oneens", 3: "Mee eens"}, None),  # mixed: says nothing
])
def test_agreement_direction_of_value_labels(labels, runs):
    from werk.inputs import draft

    got = draft.agreement_direction(labels)
    assert (got[0] if got else None) == runs
