import inflection


def test_keeps_acronyms():
    assert inflection.titleize("NASA launch report", keep_acronyms=True) == "NASA Launch Report"


def test_acronym_inside():
    assert inflection.titleize("the HTTP spec", keep_acronyms=True) == "The HTTP Spec"


def test_single_capital_letter_is_not_an_acronym():
    assert inflection.titleize("a B c", keep_acronyms=True) == "A B C"


def test_default_unchanged():
    assert inflection.titleize("NASA launch report") == "Nasa Launch Report"
