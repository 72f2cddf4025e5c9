import pytest

import inflection


@pytest.mark.parametrize(
    "word,table",
    [
        ("person", "people"),
        ("Country", "countries"),
        ("ChildToy", "child_toys"),
        ("_RailsCamp", "_rails_camps"),
        ("RawScaledScorer", "raw_scaled_scorers"),
        ("egg_and_ham", "egg_and_hams"),
        ("fancyCategory", "fancy_categories"),
    ],
)
def test_tableize(word, table):
    assert inflection.tableize(word) == table
