"""The embedded backend's managed Python: an interpreter environment of agentgym's own.

Task code on the local (bubblewrap) backend must not run on the user's interpreter
environment: that environment has agentgym's dependencies, maybe not pytest, and whatever
else the user installed. So each set of requirements gets a virtual environment of its own,
built once with the interpreter that runs agentgym and cached under
``$AGENTGYM_CACHE/toolchains/<key>`` (default ``~/.cache/agentgym``):

- pytest at a pinned version, plus what the task declares (its Dockerfile's ``pip install``
  lines), installed from the package index with pip;
- offline, the same distributions are copied from agentgym's own environment when they are
  installed there, and the toolchain records that it was; when neither works the build
  fails with a :class:`ToolchainError` that says what to do;
- scripts are made relocatable, because the sandbox mounts the environment read-only at
  :data:`SANDBOX_PREFIX`, not where it lies on the host.

The key hashes the interpreter, the pin and the requirements, so a toolchain is shared by
every task that needs the same things, and ``agentgym toolchain gc`` removes unused ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agentgym.errors import SandboxError

PYTEST_PIN = "pytest==8.4.2"
TOOLCHAIN_VERSION = "1"
SANDBOX_PREFIX = "/opt/agentgym/python"
_META = "agentgym-toolchain.json"
# pip's own trick for scripts that must run from any prefix: sh re-executes the file with the
# python3 beside it, and Python reads the sh lines as a string expression.
_RELOCATABLE = "#!/bin/sh\n'''exec' \"$(dirname -- \"$0\")/python3\" \"$0\" \"$@\"\n' '''\n"


class ToolchainError(SandboxError):
    """The managed Python environment could not be built (offline, no pip, ...)."""


class Toolchain(BaseModel):
    """A built toolchain: where it lies on the host and what it holds."""

    model_config = ConfigDict(extra="forbid")

    key: str
    root: str
    python_version: str
    base_executable: str
    requirements: list[str]
    source: str  # "index" (pip) or "host" (copied from agentgym's environment, offline)
    packages: dict[str, str]
    created: float

    @property
    def bin_dir(self) -> str:
        return os.path.join(self.root, "bin")


def cache_dir() -> Path:
    """agentgym's cache folder: ``$AGENTGYM_CACHE`` or ``~/.cache/agentgym``."""
    root = os.environ.get("AGENTGYM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "agentgym"
    )
    return Path(root)


def toolchains_dir() -> Path:
    return cache_dir() / "toolchains"


def base_executable() -> str:
    """The real interpreter binary behind agentgym (through any venv and symlinks)."""
    exe = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(exe)


def toolchain_key(requirements: tuple[str, ...] = ()) -> str:
    text = "\n".join(
        [TOOLCHAIN_VERSION, base_executable(), sys.version, PYTEST_PIN, *sorted(requirements)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def interpreter_binds() -> list[str]:
    """Host paths the sandbox needs read-only for the toolchain's interpreter to start:
    the binary, its shared library and the standard library (site-packages masked)."""
    paths = [base_executable()]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        soname = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY")
        if libdir and soname and os.path.exists(os.path.join(libdir, soname)):
            paths.append(os.path.join(libdir, soname))
    base_paths = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    for key in ("stdlib", "platstdlib"):
        path = base_paths.get(key)
        if path and os.path.isdir(path) and path not in paths:
            paths.append(path)
    return paths


def interpreter_masks() -> list[str]:
    """Folders inside the bound standard library that the sandbox sees empty: the base
    interpreter's own site-packages (where a user's packages often live)."""
    base_paths = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    stdlib = base_paths.get("stdlib", "")
    out = []
    for key in ("purelib", "platlib"):
        path = base_paths.get(key)
        if path and os.path.isdir(path) and path.startswith(stdlib + "/") and path not in out:
            out.append(path)
    return out


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (flock on ``path``, created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load(root: Path) -> Toolchain | None:
    try:
        return Toolchain.model_validate_json((root / _META).read_text())
    except (OSError, ValueError):
        return None


def ensure_toolchain(requirements: tuple[str, ...] | list[str] = ()) -> Toolchain:
    """The toolchain for ``requirements`` (plus pinned pytest), built on first use."""
    reqs = tuple(sorted({r.strip() for r in requirements if r.strip()}))
    key = toolchain_key(reqs)
    root = toolchains_dir() / key
    found = load(root)
    if found is not None:
        _touch(root)
        return found
    with locked(toolchains_dir() / f".{key}.lock"):
        found = load(root)
        if found is not None:
            return found
        return _build(root, key, reqs)


def _touch(root: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(root / _META)


def _build(root: Path, key: str, reqs: tuple[str, ...]) -> Toolchain:
    tmp = root.with_name(f".{root.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _run([sys.executable, "-m", "venv", "--without-pip", str(tmp)], "create a venv")
        # venv links python to the interpreter path as invoked (often itself a symlink, e.g.
        # pyenv's bin/python3); the sandbox binds only the real binary, so link to that.
        for link in (tmp / "bin").iterdir():
            if link.is_symlink() and link.name.startswith("python"):
                link.unlink()
                link.symlink_to(base_executable())
        python = tmp / "bin" / "python3"
        site = Path(
            subprocess.run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        wanted = [PYTEST_PIN, *reqs]
        source, why = "index", ""
        try:
            _pip_install(python, wanted)
        except ToolchainError as exc:
            why = str(exc)
            source = "host"
            _copy_from_host(wanted, site, why)
        _make_relocatable(tmp / "bin")
        packages = _installed(python)
        if "pytest" not in packages:
            raise ToolchainError(f"pytest did not end up in the toolchain at {tmp}; {why}")
        info = Toolchain(
            key=key,
            root=str(root),
            python_version=".".join(map(str, sys.version_info[:3])),
            base_executable=base_executable(),
            requirements=list(reqs),
            source=source,
            packages=packages,
            created=time.time(),
        )
        (tmp / _META).write_text(info.model_dump_json(indent=1))
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
        return info
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"could not {what}: {(proc.stderr or proc.stdout)[-1200:]}")
    return proc


def _pip_install(python: Path, wanted: list[str]) -> None:
    """Install with the pip of agentgym's interpreter, targeting the toolchain's python."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    has_pip = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if has_pip.returncode == 0:
        cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    else:  # e.g. a uv-made venv: bootstrap pip inside the toolchain instead
        _run([str(python), "-m", "ensurepip", "-q"], "bootstrap pip (ensurepip)")
        cmd = [str(python), "-m", "pip", "install", "-q"]
    proc = subprocess.run(
        [*cmd, "--timeout", "30", "--retries", "1", *wanted],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise ToolchainError(
            f"pip install {' '.join(wanted)} failed: {(proc.stderr or proc.stdout)[-800:]}"
        )


def _requires(dist: metadata.Distribution) -> list[str]:
    out = []
    for req in dist.requires or []:
        name, _, marker = req.partition(";")
        if "extra ==" in marker or "extra==" in marker:
            continue
        if marker.strip() and not _marker_holds(marker):
            continue
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)", name)
        if match:
            out.append(match.group(1))
    return out


def _marker_holds(marker: str) -> bool:
    try:
        from packaging.markers import Marker

        return bool(Marker(marker.strip()).evaluate())
    except Exception:
        # Without packaging, the markers that matter for pytest's needs are version checks
        # for backports (exceptiongroup, tomli): needed only before 3.11.
        return sys.version_info < (3, 11) if "python_version" in marker else True


def _copy_from_host(wanted: list[str], site: Path, why: str) -> None:
    """Offline: copy the wanted distributions (and what they need) from agentgym's own
    environment into the toolchain's site-packages."""
    queue = [re.split(r"[<>=!~;\[ ]", w, maxsplit=1)[0] for w in wanted]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        norm = name.lower().replace("_", "-")
        if norm in seen:
            continue
        seen.add(norm)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise ToolchainError(
                f"cannot build the embedded backend's Python toolchain: {why.strip()}\n"
                f"Offline fallback failed too: {name} is not installed in agentgym's own "
                f"environment ({sys.prefix}) to copy. Fix one of: connect to the package index "
                "once (the toolchain is cached afterwards); point pip at a local wheelhouse "
                "(PIP_FIND_LINKS=/path PIP_NO_INDEX=1); `pip install pytest` next to agentgym "
                "so it can be copied; or use the Docker backend. `agentgym doctor` checks this."
            ) from None
        for file in dist.files or []:
            src = Path(str(dist.locate_file(file)))
            rel = Path(str(file))
            if rel.is_absolute() or ".." in rel.parts or not src.is_file():
                continue
            dest = site / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        queue.extend(_requires(dist))


def _make_relocatable(bin_dir: Path) -> None:
    """Scripts pip wrote start with the build folder's python; make them find python3 beside
    themselves, wherever the toolchain is mounted."""
    for script in bin_dir.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        try:
            head = script.read_bytes()[:256]
        except OSError:
            continue
        if not head.startswith(b"#!") or b"python" not in head.split(b"\n", 1)[0]:
            continue
        if head.startswith(_RELOCATABLE.encode()):
            continue
        body = script.read_text(errors="surrogateescape").split("\n", 1)
        script.write_text(_RELOCATABLE + (body[1] if len(body) > 1 else ""))
    for name in ("pytest", "py.test"):
        if not (bin_dir / name).exists():
            shim = bin_dir / name
            shim.write_text(
                _RELOCATABLE + "import sys\nfrom pytest import console_main\n"
                "sys.exit(console_main())\n"
            )
            shim.chmod(0o755)


def _installed(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
    )
    proc = subprocess.run(
        [str(python), "-I", "-c", code], capture_output=True, text=True, check=False
    )
    try:
        return dict(json.loads(proc.stdout))
    except ValueError:
        return {}


def list_toolchains() -> list[tuple[Toolchain, float, int]]:
    """Built toolchains with their last use (epoch seconds) and size in bytes."""
    out = []
    root = toolchains_dir()
    for path in sorted(root.iterdir()) if root.exists() else []:
        info = load(path)
        if info is None:
            continue
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
        out.append((info, (path / _META).stat().st_mtime, size))
    return out


def gc_toolchains(older_than_days: float = 30.0) -> list[str]:
    """Remove toolchains unused for ``older_than_days`` and half-built leftovers."""
    removed = []
    root = toolchains_dir()
    if not root.exists():
        return removed
    cutoff = time.time() - older_than_days * 86400
    for path in root.iterdir():
        if path.name.startswith("."):
            if ".building-" in path.name:
                pid = path.name.rsplit("-", 1)[-1]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(str(path))
            continue
        meta = path / _META
        if not meta.exists() or meta.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed
