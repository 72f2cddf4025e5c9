"""docs/monitor.md stays in step with the default rules."""

from __future__ import annotations

from pathlib import Path

from agentgym.monitor import default_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "monitor.md"


def test_docs_list_every_default_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [r.id for r in default_rules() if f"`{r.id}`" not in text]
    assert not missing, f"docs/monitor.md does not describe {missing}"
