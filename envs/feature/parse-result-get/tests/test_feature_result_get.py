import parse


def test_get_named_and_fixed():
    r = parse.parse("{} {name}", "a b")
    assert r.get("name") == "b"
    assert r.get(0) == "a"


def test_get_missing():
    r = parse.parse("{} {name}", "a b")
    assert r.get("other") is None
    assert r.get(5, "-") == "-"
    assert r.get("other", 0) == 0


def test_get_on_raw_result():
    r = parse.Result((1,), {"x": None}, None)
    assert r.get("x", "default") is None
