import inflection


def test_trailing_punctuation():
    assert inflection.parameterize("Hello, World!") == "hello-world"


def test_trailing_with_custom_separator():
    assert inflection.parameterize("Hello, World!", "_") == "hello_world"


def test_trailing_multichar_separator():
    assert inflection.parameterize("a b!", "__sep__") == "a__sep__b"
