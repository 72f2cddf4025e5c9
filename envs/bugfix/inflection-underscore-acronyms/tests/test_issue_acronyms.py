import inflection


def test_acronym_followed_by_word():
    assert inflection.underscore("HTMLTidy") == "html_tidy"


def test_two_acronyms():
    assert inflection.underscore("XMLHTTPRequest") == "xmlhttp_request"


def test_acronym_roundtrip_with_camelize():
    assert inflection.camelize(inflection.underscore("SSLError")) == "SslError"
