"""Generate the task packs under envs/ from the declarations in envs/_tools/specs/*.py.

    python envs/_tools/make_task.py                  # every task
    python envs/_tools/make_task.py --only ID [ID..] # some tasks
    python envs/_tools/make_task.py --list

For each spec: copy the pristine library (envs/_sources/<lib>) into a scratch git repo,
apply the spec's edits, derive the environment patch and the reference solution with
`git diff`, then run the test modules in the offline base image for both states (starting
state and solved state, hidden tests added) to find FAIL_TO_PASS (fails before, passes after)
and PASS_TO_PASS (passes in both). The task folder is written with agentgym.tasks.write_task,
so tests/test.sh always agrees with task.toml.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENVS = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ENVS.parent))

from agentgym.tasks.harbor import (  # noqa: E402
    BASE_IMAGE,
    load_source_info,
    render_dockerfile,
    render_solve_sh,
    write_task,
)
from agentgym.types import Task, TaskLimits  # noqa: E402
from spec import After, Spec  # noqa: E402

CONFIG_FILES = ("setup.cfg", "tox.ini", "pyproject.toml", "pytest.ini")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "SOURCE.toml")

PLUGIN = """
import json, os
_outcomes = {}
def pytest_runtest_logreport(report):
    if report.when == "call":
        if _outcomes.get(report.nodeid) != "error":
            _outcomes[report.nodeid] = report.outcome
    elif report.failed:
        _outcomes[report.nodeid] = "error"
    elif report.skipped and report.when == "setup":
        _outcomes[report.nodeid] = "skipped"
def pytest_sessionfinish(session):
    with open(os.environ["AGENTGYM_OUTCOMES"], "w") as fh:
        json.dump(_outcomes, fh)
"""


def load_specs() -> list[Spec]:
    specs: list[Spec] = []
    for file in sorted((HERE / "specs").glob("*.py")):
        module_spec = importlib.util.spec_from_file_location(f"specs_{file.stem}", file)
        assert module_spec and module_spec.loader
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        specs.extend(getattr(module, "TASKS", []))
    ids = [s.id for s in specs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate task ids: {sorted(dupes)}")
    return specs


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=gen", "-c", "user.email=gen@localhost", *args],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def is_test_path(rel: str, tests_root: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (
        rel == tests_root
        or rel.startswith(tests_root.rstrip("/") + "/")
        or name.startswith("test_")
        or name == "conftest.py"
    )


def apply_edits(repo: Path, spec: Spec) -> None:
    for path, old, new in spec.edits:
        target = repo / path
        if old is None and new is None:
            target.unlink()
            continue
        if old is None:
            assert new is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(new).lstrip() if new.startswith("\n") else new)
            continue
        if new is None:
            raise SystemExit(f"{spec.id}: deleting text needs new='' not None")
        text = target.read_text()
        if isinstance(old, After):
            if text.count(old.anchor) != 1:
                raise SystemExit(f"{spec.id}: anchor in {path} matches {text.count(old.anchor)}")
            index = text.find(old.text, text.index(old.anchor))
            if index < 0:
                raise SystemExit(f"{spec.id}: {old.text[:60]!r} not after anchor in {path}")
            text = text[:index] + new + text[index + len(old.text) :]
        else:
            count = text.count(old)
            if count != 1:
                raise SystemExit(f"{spec.id}: edit of {path} matches {count} times: {old[:60]!r}")
            text = text.replace(old, new)
        target.write_text(text)
    if spec.transform is not None:
        spec.transform(repo)


def run_states(spec: Spec, states: dict[str, Path], targets: list[str], pythonpath: list[str]):
    """Run ``targets`` in each state folder inside the base image; return outcomes per state."""
    work = next(iter(states.values())).parent
    (work / "plugin").mkdir(exist_ok=True)
    (work / "plugin" / "agentgym_outcomes.py").write_text(PLUGIN)
    script = ["set -u"]
    for name in states:
        paths = ":".join(["/w/plugin", *(f"/w/{name}/{p}" for p in pythonpath)])
        script.append(
            f"cd /w/{name} && PYTHONPATH={paths} AGENTGYM_OUTCOMES=/w/{name}.json "
            f"python3 -m pytest -p no:cacheprovider -p agentgym_outcomes -q --continue-on-collection-errors "
            f"{' '.join(targets)} > /w/{name}.log 2>&1; chmod -R a+rwX /w"
        )
    (work / "run.sh").write_text("\n".join(script) + "\n")
    subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{work}:/w",
            BASE_IMAGE,
            "bash",
            "/w/run.sh",
        ],
        check=True,
        timeout=600,
    )
    out = {}
    for name in states:
        result = work / f"{name}.json"
        if not result.exists():
            raise SystemExit(
                f"{spec.id}: pytest did not run in state {name}:\n"
                + (work / f"{name}.log").read_text()[-3000:]
            )
        out[name] = json.loads(result.read_text())
    return out


def build(spec: Spec, keep: bool = False) -> Task:
    source = ENVS / "_sources" / spec.lib
    info = load_source_info(source)
    assert info is not None, f"{source}/SOURCE.toml missing"
    work = Path(tempfile.mkdtemp(prefix=f"mk-{spec.id}-"))
    try:
        repo = work / "repo"
        shutil.copytree(source, repo, ignore=IGNORE)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "pristine")
        apply_edits(repo, spec)
        git(repo, "add", "-A")
        changed = git(repo, "diff", "--cached", "--name-only").split()
        if not changed:
            raise SystemExit(f"{spec.id}: the edits change nothing")
        forward = git(repo, "diff", "--cached", "--binary")
        if spec.starts_pristine:
            env_patch, solution = None, forward
        else:
            # The reverse diff, written from the edited tree back to pristine (a/ b/ prefixes).
            edited_tree = git(repo, "write-tree").strip()
            paths = changed
            if spec.pack == "feature":
                paths = [p for p in changed if not is_test_path(p, info.tests)]
            env_patch = forward
            solution = git(repo, "diff", "--binary", edited_tree, "HEAD", "--", *paths)
        # The two states graded: where the agent starts, and after the reference fix.
        start, solved = work / "start", work / "solved"
        shutil.copytree(repo, start, ignore=shutil.ignore_patterns(".git"))
        shutil.copytree(repo, solved, ignore=shutil.ignore_patterns(".git"))
        if spec.starts_pristine:
            git(repo, "stash", "-q")
            shutil.rmtree(start)
            shutil.copytree(repo, start, ignore=shutil.ignore_patterns(".git"))
        else:
            proc = subprocess.run(
                ["git", "apply", "-"], input=solution, text=True, cwd=solved, capture_output=True
            )
            if proc.returncode != 0:
                raise SystemExit(f"{spec.id}: solution does not apply: {proc.stderr}")
        for dest, code_text in spec.hidden.items():
            for state in (start, solved):
                (state / dest).parent.mkdir(parents=True, exist_ok=True)
                (state / dest).write_text(textwrap.dedent(code_text).lstrip())
        targets = [*spec.modules, *spec.hidden]
        outcomes = run_states(spec, {"start": start, "solved": solved}, targets, info.pythonpath)
        before, after = outcomes["start"], outcomes["solved"]
        broken = sorted(n for n, o in after.items() if o in ("failed", "error"))
        if broken:
            log = (work / "solved.log").read_text()[-3000:]
            raise SystemExit(f"{spec.id}: fail after the solution: {broken[:5]}\n{log}")
        f2p = sorted(n for n, o in after.items() if o == "passed" and before.get(n) != "passed")
        p2p = sorted(n for n, o in after.items() if o == "passed" and before.get(n) == "passed")
        if not 1 <= len(f2p) <= spec.max_fail_to_pass:
            raise SystemExit(f"{spec.id}: {len(f2p)} FAIL_TO_PASS tests: {f2p[:12]}")
        if any(n.partition("::")[0] in spec.hidden for n in p2p):
            pass  # hidden tests that already pass are fine as extra PASS_TO_PASS checks
        tracked = [f.relative_to(start).as_posix() for f in start.rglob("*") if f.is_file()]
        tracked = [p for p in tracked if p not in spec.hidden]
        test_files = sorted(
            p
            for p in tracked
            if (p.endswith(".py") and is_test_path(p, info.tests)) or p in CONFIG_FILES
        )
        files = {}
        patches = []
        if env_patch:
            files["environment/task.patch"] = env_patch
            patches.append("task.patch")
        hidden_tests = {}
        for dest, code_text in spec.hidden.items():
            task_file = "tests/" + dest.rsplit("/", 1)[-1]
            files[task_file] = textwrap.dedent(code_text).lstrip()
            hidden_tests[task_file] = dest
        task = Task(
            id=spec.id,
            instruction=textwrap.dedent(spec.instruction).strip() + "\n",
            source=spec.lib,
            dockerfile=render_dockerfile(patches, info.pythonpath),
            fail_to_pass=f2p,
            pass_to_pass=p2p,
            test_files=test_files,
            hidden_tests=hidden_tests,
            solution_script=render_solve_sh(solution),
            files=files,
            limits=TaskLimits(
                agent_timeout_s=1800,
                verifier_timeout_s=300,
                build_timeout_s=600,
                cpus=1,
                memory_mb=2048,
                storage_mb=1024,
            ),
            metadata={
                "category": spec.pack,
                "difficulty": spec.difficulty,
                "tags": spec.tags,
                "source_lib": spec.lib,
            },
        )
        dest_dir = ENVS / spec.pack / spec.id
        if dest_dir.exists():
            shutil.rmtree(dest_dir)
        write_task(task, dest_dir)
        print(f"{spec.pack}/{spec.id}: {len(f2p)} fail_to_pass, {len(p2p)} pass_to_pass")
        return task
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="task ids (or prefixes) to generate")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep scratch folders")
    args = parser.parse_args()
    specs = load_specs()
    if args.only:
        specs = [s for s in specs if any(s.id.startswith(o) for o in args.only)]
    if args.list:
        for s in specs:
            print(f"{s.pack:9} {s.lib:15} {s.id}")
        return
    failures = []
    for spec in specs:
        try:
            build(spec, keep=args.keep)
        except SystemExit as exc:
            failures.append(spec.id)
            print(f"FAILED {exc}", file=sys.stderr)
    if failures:
        raise SystemExit(f"{len(failures)} failed: {failures}")


if __name__ == "__main__":
    main()
