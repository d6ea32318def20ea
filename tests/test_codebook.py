"""The codebook is complete, and the schema and the mapping example follow it."""

from __future__ import annotations

import pandera.pandas as pa
import pytest

from werk.core import codebook, paths
from werk.core.codebook import VARIABLES
from werk.inputs import data

CODED = [v for v in VARIABLES.values() if v.coded]


def test_schema_has_every_codebook_variable_in_order():
    assert list(data.schema().columns) == list(VARIABLES)


@pytest.mark.parametrize("name", list(VARIABLES))
def test_schema_column_follows_codebook(name):
    v = VARIABLES[name]
    column = data.schema().columns[name]
    assert column.required == v.required
    assert column.nullable == v.nullable
    assert column.unique == (v.kind == "id")


@pytest.mark.parametrize("v", CODED, ids=[v.name for v in CODED])
def test_coded_variables_have_labels_in_both_languages(v):
    for code, labels in v.codes.items():
        assert isinstance(code, int)
        nl, en = labels
        assert nl.strip() and en.strip(), (v.name, code)
    assert codebook.value_labels(v.name, "nl").keys() == v.codes.keys()
    assert (v.low, v.high) == (min(v.codes), max(v.codes))


@pytest.mark.parametrize("v", CODED, ids=[v.name for v in CODED])
def test_schema_allows_exactly_the_codes(v):
    import pandas as pd

    one = data.schema().columns[v.name]
    allowed = pd.DataFrame({v.name: [float(c) for c in v.codes]})
    one.validate(allowed)
    with pytest.raises(pa.errors.SchemaError):
        one.validate(pd.DataFrame({v.name: [float(max(v.codes) + 1)]}))


def test_every_variable_has_dutch_and_english_wording():
    for v in VARIABLES.values():
        assert v.nl.strip() and v.en.strip(), v.name
        assert v.kind in {"id", "weight", "category", "binary", "ordinal", "count", "scale"}


def test_only_id_and_sector_may_not_be_missing():
    assert {n for n, v in VARIABLES.items() if not v.nullable} == set(data.INT_COLUMNS)


def test_mapping_example_covers_every_codebook_variable():
    mapping = data.read_mapping(paths.DATA / "mapping.example.yml")
    targets = list(mapping["rename"].values())
    assert sorted(targets) == sorted(VARIABLES)
    assert all(source.isupper() for source in mapping["rename"])  # CBS-style names
