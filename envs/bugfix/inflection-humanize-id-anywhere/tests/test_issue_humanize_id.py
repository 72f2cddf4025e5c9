import inflection


def test_id_inside_word_is_kept():
    assert inflection.humanize("user_identity") == "User identity"


def test_trailing_id_is_stripped():
    assert inflection.humanize("author_id") == "Author"


def test_titleize_keeps_inner_id():
    assert inflection.titleize("valid_identifier") == "Valid Identifier"
