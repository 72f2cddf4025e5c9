from tabulate import tabulate


def test_center_segment_width():
    out = tabulate([["abc", 1]], headers=["x", "y"], tablefmt="pipe", colalign=("center", "right"))
    lines = out.splitlines()
    assert len({len(line) for line in lines}) == 1, out
    assert lines[1].startswith("|:---:|")


def test_all_center():
    out = tabulate([["a", "b"]], headers=["h1", "h2"], tablefmt="pipe", stralign="center")
    assert len({len(line) for line in out.splitlines()}) == 1, out
