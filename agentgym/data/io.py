"""Data rows and their files: the ``DataRow`` record, the trajectory JSONL reader (with
line-numbered validation) and JSONL / Parquet writers and readers.

Input lines are either ``Trajectory`` records (what ``agentgym.env`` and ``agentgym.rollout``
write) or plain OpenAI chat records ``{"messages": [...], "tools": [...], "id": ...}``. A bad
line is never dropped silently: it becomes a :class:`BadLine` (line number and reason) that the
caller reports, or a :class:`DataError` that names the file and line with ``on_error="fail"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentgym.errors import AgentGymError
from agentgym.types import PerturbationRecord, Trajectory

OnError = Literal["skip", "fail"]
OPENAI_KEYS = {"messages", "tools", "id", "task_id", "metadata"}


class DataError(AgentGymError, ValueError):
    """A data file that cannot be read or written; the message names the file and line."""


class DataRow(BaseModel):
    """One training example: a (perturbed) conversation rendered in one chat format."""

    model_config = ConfigDict(extra="forbid")

    id: str  # "{source}/v{variant}/{chat_format}"
    source: str  # where the conversation came from: "file.jsonl:LINE" or "rollout:N"
    task_id: str
    variant: int = 0
    seed: int | None = None  # the episode perturbation's seed (replay with the records)
    recipe: str = ""
    chat_format: str
    chat_options: dict[str, Any] = Field(default_factory=dict)
    messages: list[dict[str, Any]]  # OpenAI chat messages
    tools: list[dict[str, Any]] = Field(default_factory=list)  # OpenAI tool definitions
    text: str  # the conversation rendered in ``chat_format``
    input_ids: list[int] | None = None
    loss_mask: list[int] | None = None  # 1 on tokens the assistant generated
    perturbations: list[PerturbationRecord] = Field(default_factory=list)
    reward: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass
class BadLine:
    """An input line that was not used, and why."""

    line: int
    error: str


@dataclass
class ReadReport:
    """What reading an input file did with every line."""

    path: str
    lines: int = 0
    blank: int = 0
    ok: int = 0
    bad: list[BadLine] = field(default_factory=list)


def parse_line(text: str) -> Trajectory:
    """One JSONL line as a validated Trajectory; ``ValueError`` says what is wrong."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    try:
        if "task_id" in obj and set(obj) - OPENAI_KEYS:
            traj = Trajectory.model_validate(obj)
        else:
            unknown = sorted(set(obj) - OPENAI_KEYS)
            if unknown:
                raise ValueError(
                    f"unknown field(s) {unknown}; expected a Trajectory record or "
                    f"{{{', '.join(sorted(OPENAI_KEYS))}}}"
                )
            if "messages" not in obj:
                raise ValueError("no 'messages'")
            traj = Trajectory(
                task_id=str(obj.get("task_id") or obj.get("id") or ""),
                messages=obj["messages"],
                tools=obj.get("tools") or [],
                metadata=obj.get("metadata") or {},
            )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"field {where!r}: {first['msg']}") from exc
    check_trajectory(traj)
    return traj


def check_trajectory(traj: Trajectory) -> None:
    """Conversation-level checks the schema cannot express."""
    if not traj.messages:
        raise ValueError("no messages")
    names = {t.name for t in traj.tools}
    seen: set[str] = set()
    for i, m in enumerate(traj.messages):
        for call in m.tool_calls:
            if names and call.name not in names:
                raise ValueError(
                    f"messages.{i}: calls tool {call.name!r}, which is not in the record's "
                    f"tools ({', '.join(sorted(names))})"
                )
            seen.add(call.id)
        if m.role == "tool" and m.tool_call_id is not None and m.tool_call_id not in seen:
            raise ValueError(
                f"messages.{i}: tool result for call {m.tool_call_id!r}, which no earlier "
                "assistant message made"
            )


def read_trajectories(
    path: str | Path, on_error: OnError = "skip", report: ReadReport | None = None
) -> Iterator[tuple[int, Trajectory]]:
    """``(line number, trajectory)`` for every good line; bad lines go to ``report.bad``
    (``on_error="skip"``) or raise ``DataError`` naming the file and line (``"fail"``)."""
    path = Path(path)
    report = report if report is not None else ReadReport(str(path))
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            report.lines += 1
            if not line.strip():
                report.blank += 1
                continue
            try:
                traj = parse_line(line)
            except ValueError as exc:
                if on_error == "fail":
                    raise DataError(f"{path}:{number}: {exc}") from exc
                report.bad.append(BadLine(number, str(exc)))
                continue
            report.ok += 1
            yield number, traj


# --- writers --------------------------------------------------------------------------------

_JSON_COLUMNS = ("tools", "chat_options", "perturbations", "metadata")


def _parquet() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise DataError(
            "writing or reading .parquet needs pyarrow (pip install pyarrow); "
            "or use a .jsonl output"
        ) from exc
    return pa, pq


def _schema(pa: Any) -> Any:
    call = pa.struct(
        [
            ("id", pa.string()),
            ("type", pa.string()),
            ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
        ]
    )
    message = pa.struct(
        [
            ("role", pa.string()),
            ("content", pa.string()),
            ("reasoning_content", pa.string()),
            ("tool_calls", pa.list_(call)),
            ("tool_call_id", pa.string()),
            ("name", pa.string()),
        ]
    )
    fields = [
        ("id", pa.string()),
        ("source", pa.string()),
        ("task_id", pa.string()),
        ("variant", pa.int32()),
        ("seed", pa.int64()),
        ("recipe", pa.string()),
        ("chat_format", pa.string()),
        ("messages", pa.list_(message)),
        ("text", pa.string()),
        ("input_ids", pa.list_(pa.int32())),
        ("loss_mask", pa.list_(pa.int8())),
        ("reward", pa.float64()),
    ]
    fields += [(name, pa.string()) for name in _JSON_COLUMNS]  # free-form JSON as text
    return pa.schema(fields)


class RowWriter:
    """Streams rows to ``.jsonl`` or ``.parquet`` (chosen by the suffix); a context manager."""

    def __init__(self, path: str | Path, batch_size: int = 256) -> None:
        self.path = Path(path)
        self.kind = self.path.suffix.lower().lstrip(".")
        if self.kind not in ("jsonl", "parquet"):
            raise DataError(f"{self.path}: the output must end in .jsonl or .parquet")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._batch: list[DataRow] = []
        self.batch_size = batch_size
        if self.kind == "parquet":
            pa, pq = _parquet()
            self._pa = pa
            self._writer = pq.ParquetWriter(str(self.path), _schema(pa))
        else:
            self._file = self.path.open("w", encoding="utf-8")

    def write(self, row: DataRow) -> None:
        self.rows += 1
        if self.kind == "jsonl":
            self._file.write(row.model_dump_json() + "\n")
            return
        self._batch.append(row)
        if len(self._batch) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        records = []
        for row in self._batch:
            rec = row.model_dump(mode="json")
            for name in _JSON_COLUMNS:
                rec[name] = json.dumps(rec[name], ensure_ascii=False)
            records.append(rec)
        table = self._pa.Table.from_pylist(records, schema=self._writer.schema)
        self._writer.write_table(table)
        self._batch = []

    def close(self) -> None:
        if self.kind == "parquet":
            self._flush()
            self._writer.close()
        else:
            self._file.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clean_message(m: dict[str, Any]) -> dict[str, Any]:
    out = {"role": m["role"], "content": m.get("content")}
    out.update({k: v for k, v in m.items() if k not in out and v is not None})
    return out


def read_rows(path: str | Path) -> list[DataRow]:
    """Every row of a ``.jsonl`` or ``.parquet`` file written by :class:`RowWriter`."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        _, pq = _parquet()
        rows = []
        for rec in pq.read_table(str(path)).to_pylist():
            for name in _JSON_COLUMNS:
                rec[name] = json.loads(rec[name])
            rec["messages"] = [_clean_message(m) for m in rec["messages"]]
            rows.append(DataRow.model_validate(rec))
        return rows
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                out.append(DataRow.model_validate_json(line))
            except ValidationError as exc:
                raise DataError(f"{path}:{number}: not a data row: {exc}") from exc
    return out


__all__ = [
    "BadLine",
    "DataError",
    "DataRow",
    "ReadReport",
    "RowWriter",
    "check_trajectory",
    "parse_line",
    "read_rows",
    "read_trajectories",
]
