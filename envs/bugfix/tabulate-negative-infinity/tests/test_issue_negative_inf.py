from tabulate import _isnumber, _type, tabulate


def test_negative_inf_is_number():
    assert _isnumber("-inf")
    assert _type("-inf") is float


def test_column_stays_numeric():
    out = tabulate([["1.5"], ["-inf"], ["10.25"]])
    assert out.splitlines()[1] == "   1.5"
