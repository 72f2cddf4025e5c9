from toolz import assoc_in, update_in


def test_assoc_in_keeps_siblings():
    d = {"a": {"x": 1, "y": 2}}
    assert assoc_in(d, ["a", "x"], 10) == {"a": {"x": 10, "y": 2}}
    assert d == {"a": {"x": 1, "y": 2}}


def test_update_in_deep_siblings():
    d = {"a": {"b": {"c": 1, "d": 2}, "e": 3}}
    out = update_in(d, ["a", "b", "c"], lambda v: v + 1)
    assert out == {"a": {"b": {"c": 2, "d": 2}, "e": 3}}
