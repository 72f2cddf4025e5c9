"""SWE-bench-style JSONL records, the repositories they point at, and Harbor conversion.

A record names a repository and a ``base_commit``; here the repository comes from a local
folder (a git checkout, or a plain tree already at the base commit) or a tarball, never
from the network. :func:`record_to_task` turns a record into a :class:`Task` (the test
patch becomes the hidden test patch, the gold patch the solution);
:func:`task_to_record` goes the other way, and :func:`export_swebench` writes records plus
one tarball per instance (its starting state, committed once) that
:func:`import_swebench` reads back into Harbor task folders.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentgym.errors import TaskFormatError
from agentgym.tasks.harbor import (
    GIT_DATE,
    render_dockerfile,
    render_solve_sh,
    write_task,
)
from agentgym.tasks.nodeids import check_node_id
from agentgym.tasks.patches import new_file_patch, patch_files
from agentgym.types import Task


class SWEBenchRecord(BaseModel):
    """One SWE-bench instance. FAIL_TO_PASS / PASS_TO_PASS may be lists or JSON strings."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str = Field(min_length=1)
    repo: str
    base_commit: str
    problem_statement: str
    patch: str
    test_patch: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str] = Field(default_factory=list)
    version: str | None = None
    environment_setup_commit: str | None = None
    created_at: str | None = None
    hints_text: str | None = None

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        # The published datasets store these lists as JSON-encoded strings.
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list of test ids: {exc}") from exc
        return value

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS")
    @classmethod
    def _node_ids(cls, value: list[str]) -> list[str]:
        for node in value:
            check_node_id(node)
        return value


def load_swebench_jsonl(path: str | Path) -> list[SWEBenchRecord]:
    """Records of a JSONL file; errors name the line and field."""
    file = Path(path)
    records: list[SWEBenchRecord] = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TaskFormatError(f"{file}: no such file") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{file}:{number}: not valid JSON: {exc}") from None
        try:
            records.append(SWEBenchRecord.model_validate(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: "
                + ("unknown field" if e["type"] == "extra_forbidden" else e["msg"])
                for e in exc.errors()
            )
            raise TaskFormatError(f"{file}:{number}: {problems}") from None
    ids = [r.instance_id for r in records]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise TaskFormatError(f"{file}: repeated instance_id {dupes}")
    return records


def write_swebench_jsonl(records: Iterable[SWEBenchRecord], path: str | Path) -> Path:
    """Write records as JSONL (lists stay lists, fields in schema order)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
    return out


# --- repositories ------------------------------------------------------------


def _git(cwd: Path, *args: str, input: str | None = None) -> str:
    env_args = ["-c", "user.name=agentgym", "-c", "user.email=agentgym@localhost"]
    proc = subprocess.run(
        ["git", *env_args, *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_DATE": GIT_DATE,
            "GIT_COMMITTER_DATE": GIT_DATE,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(cwd),
        },
    )
    if proc.returncode != 0:
        raise TaskFormatError(f"git {' '.join(args[:2])} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout


def extract_repo(archive: str | Path, dest: str | Path) -> Path:
    """Unpack a repo tarball into ``dest``; a single top-level folder is stripped."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="agentgym-untar-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        entries = list(Path(tmp).iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(tmp)
        for entry in root.iterdir():
            shutil.move(str(entry), dest / entry.name)
    return dest


def materialize_repo(source: str | Path, dest: str | Path, commit: str | None = None) -> Path:
    """Put the repository at ``commit`` into ``dest`` (no .git): folder, git checkout or tarball."""
    src, dest = Path(source), Path(dest)
    if src.is_file():
        extract_repo(src, dest)
        if commit and (dest / ".git").exists():
            _git(dest, "checkout", "-q", "--force", commit)
        shutil.rmtree(dest / ".git", ignore_errors=True)
        return dest
    if not src.is_dir():
        raise TaskFormatError(f"repository {src} does not exist (folder or tarball expected)")
    if commit and (src / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(src), "archive", "--format=tar", commit],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            raise TaskFormatError(
                f"{src}: commit {commit} not found: {archive.stderr.decode().strip()}"
            )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        return dest
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    return dest


def resolve_repo(record: SWEBenchRecord, repos: str | Path) -> Path:
    """Find the local copy of a record's repository under ``repos`` (or ``repos`` itself)."""
    root = Path(repos)
    flat = record.repo.replace("/", "__")
    names = [record.instance_id, flat, record.repo.rsplit("/", 1)[-1]]
    for name in names:
        for candidate in (root / f"{name}.tar.gz", root / f"{name}.tgz", root / f"{name}.tar"):
            if candidate.is_file():
                return candidate
        if (root / name).is_dir():
            return root / name
    if root.is_file() or (root / ".git").exists():
        return root
    raise TaskFormatError(
        f"no local repository for {record.instance_id} ({record.repo}) under {root}: expected "
        f"{names[0]}.tar.gz, {flat}/ or a git checkout"
    )


# --- conversion --------------------------------------------------------------


def record_to_task(record: SWEBenchRecord, repo: str | Path, source: str | None = None) -> Task:
    """A Task from a record; ``repo`` is the repository at ``base_commit`` (folder or tarball).

    ``source`` names the folder under ``_sources/`` the repo will live in when the task is
    written as a Harbor folder (see :func:`import_swebench`).
    """
    modified = [p for p, status in patch_files(record.test_patch) if status != "new"]
    return Task(
        id=record.instance_id,
        instruction=record.problem_statement.rstrip("\n") + "\n",
        version=record.version or "1.0",
        source=source,
        workspace=str(Path(repo).resolve()),
        dockerfile=render_dockerfile(),
        test_command="bash /tests/test.sh",
        fail_to_pass=list(record.FAIL_TO_PASS),
        pass_to_pass=list(record.PASS_TO_PASS),
        test_files=modified,
        hidden_test_patch=record.test_patch,
        solution_patch=record.patch,
        solution_script=render_solve_sh(record.patch),
        metadata={"category": "swebench", "source_task": record.instance_id},
    )


def start_repo(task: Task, dest: str | Path) -> str:
    """Write the task's starting repository (source + environment patches) to ``dest`` as one
    git commit with the fixed author and date the task Dockerfile uses; return the commit id.
    """
    dest = Path(dest)
    if task.workspace is None:
        raise TaskFormatError(f"task {task.id} has no workspace (library source) to export")
    materialize_repo(task.workspace, dest)
    (dest / "SOURCE.toml").unlink(missing_ok=True)
    for rel, text in sorted(task.files.items()):
        if rel.startswith("environment/") and rel.endswith(".patch"):
            _git(dest, "apply", "--whitespace=nowarn", "-", input=text)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "initial state")
    return _git(dest, "rev-parse", "HEAD").strip()


def task_to_record(task: Task, base_commit: str, repo: str | None = None) -> SWEBenchRecord:
    """The SWE-bench record of a task whose starting state is ``base_commit``."""
    if task.solution_patch is None:
        raise TaskFormatError(
            f"task {task.id}: no solution patch (solve.sh must be a `git apply` heredoc)"
        )
    hidden = {task.hidden_tests[f]: task.files[f] for f in task.hidden_tests}
    test_patch = new_file_patch(hidden) + (task.hidden_test_patch or "")
    return SWEBenchRecord(
        instance_id=task.id,
        repo=repo or f"agentgym/{task.source or task.id}",
        base_commit=base_commit,
        problem_statement=task.instruction,
        patch=task.solution_patch,
        test_patch=test_patch,
        FAIL_TO_PASS=task.fail_to_pass,
        PASS_TO_PASS=task.pass_to_pass,
        version=task.version,
    )


def export_swebench(tasks: Iterable[Task], out_dir: str | Path) -> Path:
    """Write ``records.jsonl`` and ``repos/<instance_id>.tar.gz`` (starting state with .git)."""
    out = Path(out_dir)
    (out / "repos").mkdir(parents=True, exist_ok=True)
    records = []
    for task in tasks:
        with tempfile.TemporaryDirectory(prefix="agentgym-export-") as tmp:
            repo_dir = Path(tmp) / task.id
            commit = start_repo(task, repo_dir)
            with tarfile.open(out / "repos" / f"{task.id}.tar.gz", "w:gz") as tar:
                tar.add(repo_dir, arcname=task.id)
        records.append(task_to_record(task, commit))
    return write_swebench_jsonl(records, out / "records.jsonl")


def import_swebench(
    jsonl: str | Path, repos: str | Path, out_dir: str | Path, pack: str = "swebench"
) -> list[Task]:
    """Convert records into Harbor folders: ``out_dir/_sources/<id>/`` holds each repo at its
    base commit and ``out_dir/<pack>/<id>/`` the task. Returns the tasks as loaded back.
    """
    from agentgym.tasks.harbor import load_task

    out = Path(out_dir)
    tasks = []
    for record in load_swebench_jsonl(jsonl):
        source_dir = out / "_sources" / record.instance_id
        if source_dir.exists():
            shutil.rmtree(source_dir)
        repo = resolve_repo(record, repos)
        materialize_repo(repo, source_dir, record.base_commit)
        task = record_to_task(record, source_dir, source=record.instance_id)
        task_dir = out / pack / record.instance_id
        if task_dir.exists():
            shutil.rmtree(task_dir)
        write_task(task, task_dir)
        tasks.append(load_task(task_dir))
    return tasks
