import ast
import pathlib

import tabulate

TREE = ast.parse(pathlib.Path(tabulate.__file__).read_text())
FUNCS = {n.name: n for n in TREE.body if isinstance(n, ast.FunctionDef)}


def test_helper():
    assert tabulate._pad(5, "ab", ">") == "   ab"
    assert tabulate._pad(5, "ab", "<") == "ab   "
    assert tabulate._pad(6, "ab", "^") == "  ab  "


def test_wrappers_delegate():
    for name in ("_padleft", "_padright", "_padboth"):
        calls = [c.func.id for c in ast.walk(FUNCS[name])
                 if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]
        assert "_pad" in calls, name
        body = [s for s in FUNCS[name].body if not isinstance(s, ast.Expr)]
        assert len(body) == 1, name


def test_format_spec_not_duplicated():
    for name in ("_padleft", "_padright", "_padboth"):
        consts = [c.value for c in ast.walk(FUNCS[name]) if isinstance(c, ast.Constant)]
        assert not [v for v in consts if isinstance(v, str) and "%ds" in v], name
