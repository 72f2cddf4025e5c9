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

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentgym.errors import TaskFormatError
from agentgym.tasks import swebench_specs
from agentgym.tasks.harbor import (
    GIT_DATE,
    render_dockerfile,
    render_solve_sh,
    write_task,
)
from agentgym.tasks.patches import new_file_patch, patch_files
from agentgym.tasks.testids import check_test_id, files_of_test_id
from agentgym.types import Task

# Fields of the published datasets that agentgym keeps (in Task.metadata["swebench"]) but
# does not grade with. SWE-bench / Lite / Verified / Multimodal / SWE-Gym / SWE-smith /
# swebench 5.x task repositories.
KEPT_FIELDS = (
    "repo",
    "version",
    "base_commit",
    "environment_setup_commit",
    "created_at",
    "hints_text",
    "difficulty",
    "image_assets",
    "image_name",
    "image",
    "eval_script",
    "log_parser",
    "eval_type",
    "split",
)


class SWEBenchRecord(BaseModel):
    """One SWE-bench-style instance, every published field typed.

    FAIL_TO_PASS / PASS_TO_PASS may be lists or JSON strings; ids may be pytest node ids,
    django runner lines or bare names (:mod:`agentgym.tasks.testids`). Fields no
    published dataset has go to ``extras`` (or are errors with ``strict=True``).
    """

    model_config = ConfigDict(extra="forbid")

    instance_id: str = Field(min_length=1)
    repo: str
    base_commit: str | None = None  # SWE-smith records may leave it out
    problem_statement: str
    patch: str
    test_patch: str = ""  # SWE-smith has none; empty when the failing tests are visible
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str] = Field(default_factory=list)
    version: str | None = None  # the repository's version (selects its environment)
    environment_setup_commit: str | None = None
    created_at: str | None = None
    hints_text: str | None = None
    difficulty: str | None = None  # SWE-bench Verified, e.g. "15 min - 1 hour"
    image_assets: dict[str, Any] | None = None  # SWE-bench Multimodal
    image_name: str | None = None  # SWE-smith: its environment image
    image: str | None = None  # swebench 5.x task repositories
    eval_script: str | None = None
    log_parser: str | None = None
    eval_type: str | None = None
    split: str | None = None
    extras: dict[str, Any] = Field(default_factory=dict)

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", "image_assets", mode="before")
    @classmethod
    def _json_string(cls, value: Any) -> Any:
        # The published datasets store these as JSON-encoded strings.
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else None
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from exc
        return value

    @field_validator("version", "created_at", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # Some exports write the version as a number (e.g. 3.0) or a timestamp.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS")
    @classmethod
    def _test_ids(cls, value: list[str]) -> list[str]:
        for test_id in value:
            check_test_id(test_id)
        return value

    @property
    def is_swesmith(self) -> bool:
        """A SWE-smith instance: ``patch`` *creates* the bug; the fix is its reverse."""
        return self.image_name is not None and not self.test_patch

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, strict: bool = False) -> SWEBenchRecord:
        """Validate one record; unknown fields go to ``extras`` (errors if ``strict``)."""
        known = {k: v for k, v in data.items() if k in cls.model_fields and k != "extras"}
        unknown = {k: v for k, v in data.items() if k not in known}
        if strict and unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}")
        return cls.model_validate({**known, "extras": unknown})

    def to_dict(self) -> dict[str, Any]:
        """The record as the datasets write it (extras back at the top level)."""
        data = self.model_dump(exclude_none=True, exclude={"extras"})
        if not self.test_patch and self.is_swesmith:
            data.pop("test_patch", None)
        return {**data, **self.extras}


def load_swebench_jsonl(path: str | Path, *, strict: bool = False) -> list[SWEBenchRecord]:
    """Records of a JSONL file (or a JSON list); errors name the line and field.

    Every field of the published SWE-bench datasets loads; other fields are kept in
    ``record.extras`` unless ``strict=True``, which makes them errors.
    """
    file = Path(path)
    records: list[SWEBenchRecord] = []
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFormatError(f"{file}: no such file") from None
    if text.lstrip().startswith("["):
        try:
            rows = [(i + 1, json.dumps(row)) for i, row in enumerate(json.loads(text))]
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{file}: not valid JSON: {exc}") from None
    else:
        rows = list(enumerate(text.splitlines(), 1))
    for number, line in rows:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{file}:{number}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise TaskFormatError(f"{file}:{number}: a record must be a JSON object")
        try:
            records.append(SWEBenchRecord.from_dict(data, strict=strict))
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
            else:
                problems = str(exc)
            raise TaskFormatError(f"{file}:{number}: {problems}") from None
    ids = [r.instance_id for r in records]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise TaskFormatError(f"{file}: repeated instance_id {dupes}")
    return records


def write_swebench_jsonl(records: Iterable[SWEBenchRecord], path: str | Path) -> Path:
    """Write records as JSONL (lists stay lists, fields in schema order, extras kept)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
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


def _missing_commit(src: Path, commit: str, detail: str) -> TaskFormatError:
    return TaskFormatError(
        f"{src}: base_commit {commit} is not in this repository ({detail.strip()[:200]}); "
        f"fetch it (git -C {src} fetch origin {commit}) or point repos at a clone that has it"
    )


def materialize_repo(source: str | Path, dest: str | Path, commit: str | None = None) -> Path:
    """Put the repository at ``commit`` into ``dest`` (no .git): git checkout or tarball.

    A source with git history must hold ``commit`` (else a clear error); a plain folder
    or a tarball without ``.git`` is taken as already being at ``commit``.
    """
    src, dest = Path(source), Path(dest)
    if src.is_file():
        extract_repo(src, dest)
        if commit and (dest / ".git").exists():
            proc = subprocess.run(
                ["git", "-C", str(dest), "checkout", "-q", "--force", commit],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise _missing_commit(src, commit, proc.stderr)
        shutil.rmtree(dest / ".git", ignore_errors=True)
        return dest
    if not src.is_dir():
        raise TaskFormatError(f"repository {src} does not exist (folder or tarball expected)")
    if commit and (src / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(src), "archive", "--format=tar", f"{commit}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            raise _missing_commit(src, commit, archive.stderr.decode(errors="replace"))
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


_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")


def _repo_test_files(record: SWEBenchRecord, repo: Path) -> list[str]:
    """What the portable test.sh restores: the files the test patch modifies, the test
    modules the ids name, every ``tests`` folder (and top-level ``test``/``testing``),
    conftest.py files and test configs — each only where it exists at the base commit."""
    out: list[str] = []

    def add(rel: str) -> None:
        if rel not in out:
            out.append(rel)

    for path, status in patch_files(record.test_patch):
        if status != "new" and (not repo.is_dir() or (repo / path).exists()):
            add(path)
    if not repo.is_dir():
        return out
    for test_id in [*record.FAIL_TO_PASS, *record.PASS_TO_PASS]:
        for path in files_of_test_id(test_id):
            if (repo / path).is_file():
                add(path)
                break
    dirs: list[str] = [d for d in ("test", "testing") if (repo / d).is_dir()]
    for folder, subdirs, files in os.walk(repo):
        subdirs[:] = sorted(d for d in subdirs if d != ".git" and not d.startswith("__"))
        rel = Path(folder).relative_to(repo).as_posix()
        if Path(folder).name == "tests" and rel != ".":
            if not any(rel == d or rel.startswith(d + "/") for d in dirs):
                dirs.append(rel)
            subdirs[:] = []  # everything below is restored with the folder
            continue
        if any(rel == d or rel.startswith(d + "/") for d in dirs):
            continue
        if "conftest.py" in files:
            add("conftest.py" if rel == "." else f"{rel}/conftest.py")
    for d in dirs:
        add(d)
    for name in _CONFIG_FILES:
        if (repo / name).is_file():
            add(name)
    return out


def record_metadata(record: SWEBenchRecord, **more: Any) -> dict[str, Any]:
    """The task metadata of a record: the fields agentgym keeps but does not grade with."""
    kept = {k: getattr(record, k) for k in KEPT_FIELDS if getattr(record, k) is not None}
    kept.update(record.extras)
    kept.update({k: v for k, v in more.items() if v is not None})
    return {"category": "swebench", "source_task": record.instance_id, "swebench": kept}


def record_to_task(
    record: SWEBenchRecord,
    repo: str | Path | None,
    source: str | None = None,
    *,
    solution_patch: str | None = None,
    official_image: tuple[str, str] | None = None,
) -> Task:
    """A Task from a record; ``repo`` is the repository at its starting state (folder or
    tarball), or None when ``official_image`` (name, id) holds it at /testbed.

    ``source`` names the folder under ``_sources/`` the repo will live in when the task is
    written as a Harbor folder (see :func:`import_swebench`).
    """
    test_patch = record.test_patch if record.test_patch.strip() else None
    if official_image is not None:
        name, image_id = official_image
        workspace, workdir = None, swebench_specs.CONTAINER_WORKDIR
        dockerfile = swebench_specs.official_image_dockerfile(name, image_id)
        source = None
    elif repo is not None:
        workspace, workdir, dockerfile = str(Path(repo).resolve()), "/workspace", None
        dockerfile = render_dockerfile()
    else:
        raise TaskFormatError(f"{record.instance_id}: no repository and no official image")
    test_files = _repo_test_files(record, Path(repo)) if repo is not None else []
    if official_image is not None:
        test_files = [p for p, st in patch_files(record.test_patch) if st != "new"]
    solution = solution_patch if solution_patch is not None else record.patch
    return Task(
        id=record.instance_id,
        instruction=record.problem_statement.rstrip("\n") + "\n",
        source=source,
        workspace=workspace,
        workdir=workdir,
        dockerfile=dockerfile,
        test_command="bash /tests/test.sh",
        fail_to_pass=list(record.FAIL_TO_PASS),
        pass_to_pass=list(record.PASS_TO_PASS),
        test_files=test_files,
        hidden_test_patch=test_patch,
        solution_patch=solution,
        solution_script=render_solve_sh(solution, workdir) if solution.strip() else None,
        metadata=record_metadata(
            record, official_image=official_image[0] if official_image else None
        ),
    )


def _reverse_patch(patch: str, tree: Path) -> str:
    """The diff that undoes ``patch`` in ``tree`` (where it is applied)."""
    with tempfile.TemporaryDirectory(prefix="agentgym-rev-") as tmp:
        work = Path(tmp)
        for path, status in patch_files(patch):
            if status != "deleted" and (tree / path).exists():
                (work / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(tree / path, work / path)
        _git(work, "init", "-q")
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "--allow-empty", "-m", "bug")
        _git(work, "apply", "-R", "--whitespace=nowarn", "-", input=patch)
        _git(work, "add", "-A")
        return _git(work, "diff", "--cached", "--binary", "--no-renames")


def prepare_record(
    record: SWEBenchRecord,
    repos: str | Path | None,
    dest: str | Path,
    *,
    source: str | None = None,
    official_images: bool = True,
) -> Task:
    """The task of a record, its repository put at the starting state in ``dest``.

    The official evaluation image is used when the local Docker has it (then no
    repository is needed); otherwise the repository under ``repos`` is checked out at
    ``base_commit`` (SWE-smith: the bug patch applied on top; the fix is its reverse).
    """
    if official_images:
        found = swebench_specs.find_official_image(record.instance_id)
        if found is not None:
            return record_to_task(record, None, official_image=found)
    if repos is None:
        raise TaskFormatError(
            f"{record.instance_id}: no official image {swebench_specs.official_image_names(record.instance_id)[0]} "
            "in the local Docker and no repos folder to build from"
        )
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    materialize_repo(resolve_repo(record, repos), dest, record.base_commit)
    solution = None
    if record.is_swesmith:
        try:
            _git(dest, "init", "-q")
            _git(dest, "apply", "--whitespace=nowarn", "-", input=record.patch)
        finally:
            shutil.rmtree(dest / ".git", ignore_errors=True)
        solution = _reverse_patch(record.patch, dest)
    return record_to_task(record, dest, source=source, solution_patch=solution)


def _cache_key(record: SWEBenchRecord, repo: Path) -> str:
    parts = [
        str(repo.resolve()),
        record.base_commit or "",
        record.patch if record.is_swesmith else "",
    ]
    if repo.is_dir() and (repo / ".git").exists() and record.base_commit:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "rev-parse",
                "-q",
                "--verify",
                f"{record.base_commit}^{{commit}}",
            ],
            capture_output=True,
            text=True,
        )
        parts.append(proc.stdout.strip())
    else:
        for path in sorted(repo.rglob("*")) if repo.is_dir() else [repo]:
            if ".git" not in path.parts and path.is_file():
                stat = path.stat()
                parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def load_record_tasks(
    jsonl: str | Path,
    repos: str | Path | None = None,
    *,
    strict: bool = False,
    official_images: bool = True,
    cache_dir: str | Path | None = None,
) -> list[Task]:
    """Tasks of a JSONL file, each repository at its base commit (cached on disk)."""
    root = Path(cache_dir) if cache_dir else _cache_root()
    tasks = []
    for record in load_swebench_jsonl(jsonl, strict=strict):
        if official_images:
            found = swebench_specs.find_official_image(record.instance_id)
            if found is not None:
                tasks.append(record_to_task(record, None, official_image=found))
                continue
        if repos is None:
            raise TaskFormatError(f"{record.instance_id}: no repos folder given")
        repo = resolve_repo(record, repos)
        dest = root / f"{record.instance_id[:60]}-{_cache_key(record, repo)}"
        marker = dest / ".agentgym-task.json"
        if marker.exists():
            tasks.append(Task.model_validate_json(marker.read_text()))
            continue
        task = prepare_record(record, repos, dest / "repo", official_images=False)
        marker.write_text(task.model_dump_json())
        tasks.append(task)
    return tasks


def _cache_root() -> Path:
    root = os.environ.get("AGENTGYM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "agentgym"
    )
    return Path(root) / "swebench"


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
        version=(task.metadata.get("swebench") or {}).get("version"),
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
    jsonl: str | Path,
    repos: str | Path | None,
    out_dir: str | Path,
    pack: str = "swebench",
    *,
    strict: bool = False,
    official_images: bool = True,
) -> list[Task]:
    """Convert records into Harbor folders: ``out_dir/_sources/<id>/`` holds each repo at its
    starting state and ``out_dir/<pack>/<id>/`` the task (an instance whose official image
    is in the local Docker needs no repo). Returns the tasks as loaded back.
    """
    from agentgym.tasks.harbor import load_task

    out = Path(out_dir)
    tasks = []
    for record in load_swebench_jsonl(jsonl, strict=strict):
        task = prepare_record(
            record,
            repos,
            out / "_sources" / record.instance_id,
            source=record.instance_id,
            official_images=official_images,
        )
        task_dir = out / pack / record.instance_id
        if task_dir.exists():
            shutil.rmtree(task_dir)
        write_task(task, task_dir)
        tasks.append(load_task(task_dir))
    return tasks
