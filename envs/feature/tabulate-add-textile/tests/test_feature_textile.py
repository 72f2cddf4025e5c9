from tabulate import tabulate, tabulate_formats

TABLE = [["spam", 41.9999], ["eggs", "451.0"]]


def test_listed():
    assert "textile" in tabulate_formats


def test_textile():
    result = tabulate(TABLE, tablefmt="textile")
    assert result == "|<. spam  |>.  41.9999 |\n|<. eggs  |>. 451      |"


def test_textile_with_header():
    result = tabulate(TABLE, ["strings", "numbers"], tablefmt="textile")
    expected = (
        "|_.  strings   |_.   numbers |\n"
        "|<. spam       |>.   41.9999 |\n"
        "|<. eggs       |>.  451      |"
    )
    assert result == expected


def test_textile_with_center_align():
    result = tabulate(TABLE, tablefmt="textile", stralign="center")
    assert result == "|=. spam  |>.  41.9999 |\n|=. eggs  |>. 451      |"
