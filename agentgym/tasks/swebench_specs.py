"""What the official ``swebench`` package defines, used instead of re-written copies.

Optional extra: ``pip install 'agentgym[swebench]'`` (pinned to :data:`SWEBENCH_VERSION`,
the release whose ``harness/constants``, ``harness/test_spec`` and ``harness/log_parsers``
this module was written against). From it agentgym takes:

- per repository and version: the test command, the commands run before it (locale
  exports, the re-install) and how test files become runner arguments (django module
  labels, sympy file paths) — :func:`repo_runner`, :func:`test_directives`;
- the log parser of each repository (django's runner, sympy's ``bin/test``, pytest
  ``-rA``, ...) — :func:`parse_log`;
- the evaluation images' names (``sweb.eval.x86_64.<id>:latest``, or with the
  ``swebench/`` namespace and ``__`` spelt ``_1776_``) — :func:`official_image_names`;
- the Dockerfiles and set-up scripts that build an instance's environment from the
  specs (base → env → instance; needs network for apt, conda, pip, GitHub) —
  :func:`write_spec_build_context`.

swebench 5.x moved test commands and environments out of the package into per-instance
task repositories, so 4.1.0 is the last release that defines them; records of either
era load (``eval_script``, ``image``, ``log_parser`` ... are kept in the task metadata).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentgym.errors import ConfigError

SWEBENCH_VERSION = "4.1.0"
CONTAINER_WORKDIR = "/testbed"
CONDA_ENV_BIN = "/opt/miniconda3/envs/testbed/bin"
_INSTALL_HINT = f"pip install 'agentgym[swebench]' (swebench=={SWEBENCH_VERSION})"


def swebench_available() -> bool:
    """Whether the official package is importable (the ``swebench`` extra)."""
    try:
        import swebench  # noqa: F401
    except ImportError:
        return False
    return True


def _require(what: str) -> None:
    if not swebench_available():
        raise ConfigError(f"{what} needs the official swebench package: {_INSTALL_HINT}")


@dataclass(frozen=True)
class RepoRunner:
    """How SWE-bench runs one repository version's tests (from the package's specs)."""

    repo: str
    version: str
    test_cmd: str
    eval_commands: tuple[str, ...]
    install: str | None


def repo_runner(repo: str, version: str | None) -> RepoRunner:
    """The package's test command and pre-test commands for ``repo`` at ``version``."""
    _require(f"running {repo}'s own test runner")
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    versions = MAP_REPO_VERSION_TO_SPECS.get(repo)
    if versions is None:
        raise ConfigError(
            f"swebench {SWEBENCH_VERSION} has no specs for repository {repo!r}; its tests "
            "must be pytest node ids (FILE.py::TEST) for agentgym to run them"
        )
    if version is None or version not in versions:
        raise ConfigError(
            f"swebench {SWEBENCH_VERSION} has no specs for {repo} version {version!r}; "
            f"known versions: {', '.join(sorted(versions))}"
        )
    specs = versions[version]
    test_cmd = specs["test_cmd"]
    if isinstance(test_cmd, list):
        test_cmd = " && ".join(test_cmd)
    install = specs.get("install")
    return RepoRunner(
        repo=repo,
        version=version,
        test_cmd=str(test_cmd),
        eval_commands=tuple(specs.get("eval_commands", ())),
        install=install if isinstance(install, str) else None,
    )


def test_directives(repo: str, test_patch: str, files: Iterable[str] = ()) -> list[str]:
    """Runner arguments for the test files ``test_patch`` touches plus ``files``.

    The package derives them from a patch's ``diff --git`` headers (django: module
    labels relative to ``tests/``; others: paths; data files dropped); ``files`` are fed
    through the same code as headers of an empty diff.
    """
    _require("choosing test directives")
    from swebench.harness.test_spec.python import get_test_directives

    headers = "".join(f"diff --git a/{f} b/{f}\n" for f in files)
    directives = get_test_directives({"repo": repo, "test_patch": test_patch + "\n" + headers})
    seen: list[str] = []
    for directive in directives:
        if directive not in seen:
            seen.append(directive)
    return seen


def _offline_test_spec(repo: str, version: str, instance_id: str = "agentgym") -> Any:
    # The package's make_test_spec fetches requirements from GitHub for some repos; the
    # parsers only need a TestSpec's identity, so build one directly.
    from swebench.harness.constants import MAP_REPO_TO_EXT
    from swebench.harness.test_spec.test_spec import TestSpec

    return TestSpec(
        instance_id=instance_id,
        repo=repo,
        version=version,
        repo_script_list=[],
        eval_script_list=[],
        env_script_list=[],
        arch="x86_64",
        FAIL_TO_PASS=[],
        PASS_TO_PASS=[],
        language=MAP_REPO_TO_EXT.get(repo, "py"),
        docker_specs={},
        namespace=None,
    )


def parse_log(repo: str, version: str, log: str) -> dict[str, str]:
    """``{test id: PASSED|FAILED|ERROR|SKIPPED|XFAIL}`` from a test log, by the package's
    parser for ``repo``."""
    _require(f"parsing {repo}'s test log")
    from swebench.harness.log_parsers import MAP_REPO_TO_PARSER

    parser = MAP_REPO_TO_PARSER.get(repo)
    if parser is None:
        raise ConfigError(f"swebench {SWEBENCH_VERSION} has no log parser for {repo!r}")
    return dict(parser(log, _offline_test_spec(repo, version)))


def official_image_names(instance_id: str, arch: str = "x86_64") -> list[str]:
    """The names an instance's official evaluation image has: as built locally by the
    harness, and as published under the ``swebench`` namespace."""
    if swebench_available():
        local = replace(_offline_test_spec("django/django", "5.0", instance_id), arch=arch)
        remote = replace(local, namespace="swebench")
        return [local.instance_image_key, remote.instance_image_key]
    # Same spelling as swebench.harness.test_spec.test_spec.TestSpec.instance_image_key.
    key = f"sweb.eval.{arch}.{instance_id.lower()}:latest"
    return [key, f"swebench/{key}".replace("__", "_1776_")]


def find_official_image(instance_id: str) -> tuple[str, str] | None:
    """(name, image id) of the instance's official image if the local Docker has it."""
    try:
        import docker
        import docker.errors

        client = docker.from_env(timeout=10)
    except Exception:  # no daemon, no socket: no official image either
        return None
    try:
        for name in official_image_names(instance_id):
            try:
                image = client.images.get(name)
            except docker.errors.ImageNotFound:
                continue
            except docker.errors.APIError:
                return None
            return name, str(image.id)
    finally:
        client.close()
    return None


def official_image_dockerfile(name: str, image_id: str) -> str:
    """A thin layer over an official image: the ``testbed`` conda env first on PATH (the
    harness activates it from ``.bashrc``, which agentgym's non-interactive shell skips)."""
    return (
        f"# official SWE-bench evaluation image {image_id}\n"
        f"FROM {name}\n"
        f"ENV PATH={CONDA_ENV_BIN}:/opt/miniconda3/bin:/usr/local/sbin:/usr/local/bin:"
        "/usr/sbin:/usr/bin:/sbin:/bin CONDA_DEFAULT_ENV=testbed\n"
        f"WORKDIR {CONTAINER_WORKDIR}\n"
    )


def write_spec_build_context(instance: dict[str, Any], out_dir: str | Path) -> Path:
    """Write the package's three build stages for ``instance`` (a record as a dict) to
    ``out_dir/{base,env,instance}/``: Dockerfile + set-up script each.

    ``environment_setup_commit`` (when the record has one) is the commit the package
    reads requirements / environment.yml from; ``base_commit`` is what the instance stage
    clones and resets to. Building needs network (apt, conda, pip, github.com); the
    resulting ``sweb.eval.*`` image is then used as the task image.
    """
    _require("building an environment from the SWE-bench specs")
    from swebench.harness.test_spec.test_spec import make_test_spec

    record = {k: v for k, v in instance.items() if v is not None}
    for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
        if isinstance(record.get(key), list):
            record[key] = json.dumps(record[key])
    try:
        spec = make_test_spec(record)
    except KeyError as exc:
        raise ConfigError(
            f"swebench {SWEBENCH_VERSION} has no specs for {record.get('repo')} version "
            f"{record.get('version')!r} ({exc})"
        ) from None
    out = Path(out_dir)
    stages = {
        "base": (spec.base_dockerfile, None, None),
        "env": (spec.env_dockerfile, "setup_env.sh", spec.setup_env_script),
        "instance": (spec.instance_dockerfile, "setup_repo.sh", spec.install_repo_script),
    }
    for stage, (dockerfile, script_name, script) in stages.items():
        folder = out / stage
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text(dockerfile, encoding="utf-8")
        if script_name:
            (folder / script_name).write_text(script, encoding="utf-8")
    (out / "images.json").write_text(
        json.dumps(
            {
                "base": spec.base_image_key,
                "env": spec.env_image_key,
                "instance": spec.instance_image_key,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return out
