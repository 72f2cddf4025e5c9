"""The embedded backend: bubblewrap when present, else a process-group sandbox.

Used when no Docker daemon answers, so agentgym's first command runs anywhere. With
``bwrap`` the shell gets its own user, PID, network, IPC and UTS namespaces and runs as an
unprivileged uid (1000, mapped in its user namespace, with no capabilities and no new
privileges) even when agentgym runs as root. It sees the host's /usr read-only, a short
allow-list of /etc (no passwd or shadow of the host's: its own), a private /tmp, a private
workspace at the sandbox's workdir, and agentgym's managed Python toolchain
(``agentgym.sandbox.toolchain``) read-only at /opt/agentgym/python — never the user's
interpreter environment, home folder or agentgym's source. docs/sandbox.md lists every bind.
Without bwrap it is only a separate process group in a temp directory with rlimits:
NOT isolated, and it says so once.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from agentgym.errors import SandboxClosedError, SandboxError
from agentgym.sandbox.base import BASE_ENV, SandboxConfig, is_within, resolve_path
from agentgym.sandbox.shell import PIDS_PROBE_PROC, PipeTransport, ShellSession, left_by_earlier
from agentgym.sandbox.toolchain import (
    SANDBOX_PREFIX,
    Toolchain,
    ensure_toolchain,
    interpreter_binds,
    interpreter_masks,
)
from agentgym.types import ExecResult

_warned = threading.Event()

CGROUP_HEADROOM = 16
# The sandbox's own user, as the agent sees it (mapped to the caller's uid outside).
SANDBOX_UID = 1000
SANDBOX_USER = "agent"
# What of the host's /etc the sandbox sees: what programs need to run (dynamic linker,
# alternatives symlinks, certificates, time zone, name-service config), nothing with users
# or secrets. passwd and group are the sandbox's own.
ETC_ALLOW = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "localtime",
    "timezone",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "os-release",
    "debian_version",
    "profile",
    "inputrc",
    "environment",
    "shells",
    "mime.types",
    "magic",
    "protocols",
    "services",
    "terminfo",
    "vim",
    "nanorc",
    "gitconfig",
    "python3",
    "python3.11",
    "python3.12",
    "python3.13",
    "locale.alias",
    "locale.gen",
)


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        rest = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(rest[1]), []).append(int(entry.name))
    return kids


def descendants(pid: int) -> list[int]:
    """Host pids of every descendant of ``pid`` (not ``pid`` itself)."""
    kids = _children_map()
    out: list[int] = []
    queue = list(kids.get(pid, []))
    while queue:
        p = queue.pop()
        out.append(p)
        queue.extend(kids.get(p, []))
    return out


def _kill(pids: list[int]) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _host_pid_of(ns_pid: int, candidates: list[int]) -> int | None:
    """Map a pid seen inside a PID namespace to the host pid, via /proc/PID/status NSpid."""
    for p in candidates:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("NSpid:"):
                        if int(line.split()[-1]) == ns_pid:
                            return p
                        break
        except OSError:
            continue
    return None


class LocalSandbox:
    """A persistent bash in bubblewrap (or a bare process group) with a private workspace."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        workspace: str | None = None,
        use_bwrap: bool | None = None,
    ) -> None:
        self.config = config or SandboxConfig(type="local")
        self.limits = self.config.limits
        self.workdir = self.config.workdir
        self.state: dict[str, Any] = {}
        self._tmp = tempfile.mkdtemp(prefix="agentgym-local-")
        self.host_workspace = Path(self._tmp) / "workspace"
        if workspace is not None:
            shutil.copytree(workspace, self.host_workspace, symlinks=True)
        else:
            self.host_workspace.mkdir()
        (Path(self._tmp) / "tmp").mkdir()
        self.toolchain: Toolchain | None = None
        if self.config.python_requirements is not None:
            self.toolchain = ensure_toolchain(tuple(self.config.python_requirements))
        explicit = use_bwrap is not None
        if use_bwrap is None:
            use_bwrap = shutil.which("bwrap") is not None and _bwrap_works()
        self.isolated = use_bwrap
        if not use_bwrap:
            self.workdir = str(self.host_workspace)  # no mount namespace: host paths
        if not use_bwrap and not _warned.is_set():
            _warned.set()
            why = "was turned off" if explicit else "is not available"
            warnings.warn(
                f"bubblewrap (bwrap) {why}: LocalSandbox runs commands in a plain "
                "process group with rlimits, NOT isolated from this machine. Install bwrap "
                "(`apt-get install bubblewrap`) or use Docker for untrusted agents.",
                RuntimeWarning,
                stacklevel=2,
            )
        self._outer: PipeTransport | None = None
        self._closed = False
        self.session = ShellSession(
            spawn=self._spawn,
            kill_tree=self._kill_tree,
            kill_all=self._kill_all,
            workdir=self.workdir,
            init_lines=[PIDS_PROBE_PROC.format(limit=self.limits.pids)] if use_bwrap else [],
        )
        self.session.start()

    # -- process plumbing --------------------------------------------------

    def _argv(self) -> list[str]:
        bash = ["bash", "--noprofile", "--norc"]
        if not self.isolated:
            return bash
        argv = ["bwrap", "--die-with-parent", "--unshare-all", "--new-session"]
        argv += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        if self.limits.network:
            argv.append("--share-net")
        argv += ["--ro-bind", "/usr", "/usr"]
        for link in ("bin", "sbin", "lib", "lib64", "lib32"):
            target = f"/{link}"
            if os.path.islink(target):
                argv += ["--symlink", os.readlink(target), target]
            elif os.path.isdir(target):
                argv += ["--ro-bind", target, target]
        for name in ETC_ALLOW:
            path = f"/etc/{name}"
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.exists(path):
                argv += ["--ro-bind", path, path]
        identity = self._identity_files()
        for name, host in identity.items():
            argv += ["--ro-bind", host, f"/etc/{name}"]
        argv += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--bind",
            str(Path(self._tmp) / "tmp"),
            "/tmp",
            "--bind",
            str(self.host_workspace),
            self.workdir,
            "--chdir",
            self.workdir,
            "--setenv",
            "HOME",
            self.workdir,
            "--setenv",
            "USER",
            SANDBOX_USER,
            "--setenv",
            "PATH",
            self._path(),
        ]
        if self.toolchain is not None:
            for path in interpreter_binds():
                if not path.startswith("/usr/"):
                    argv += ["--ro-bind", path, path]
            for path in interpreter_masks():
                if not path.startswith("/usr/"):
                    argv += ["--tmpfs", path]
            argv += ["--ro-bind", self.toolchain.root, SANDBOX_PREFIX]
        for host, inside in self.config.readonly_mounts.items():
            argv += ["--ro-bind", host, inside]
        # The sandbox's own root (a tmpfs holding the mount points) is read-only too: only
        # the workspace and /tmp can be written.
        argv += ["--remount-ro", "/"]
        return argv + bash

    def _identity_files(self) -> dict[str, str]:
        """The sandbox's own /etc/passwd and /etc/group (the host's are not shown)."""
        folder = Path(self._tmp) / "etc"
        if not folder.exists():
            folder.mkdir()
            (folder / "passwd").write_text(
                "root:x:0:0:root:/root:/bin/bash\n"
                f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_UID}:agent:{self.workdir}:/bin/bash\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            )
            (folder / "group").write_text(
                f"root:x:0:\n{SANDBOX_USER}:x:{SANDBOX_UID}:\nnogroup:x:65534:\n"
            )
        return {"passwd": str(folder / "passwd"), "group": str(folder / "group")}

    def _path(self) -> str:
        """PATH inside: the toolchain first (as mounted inside, or its host folder when not
        isolated), then the system's."""
        system = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        if self.toolchain is None:
            return ":".join(system)
        bin_dir = f"{SANDBOX_PREFIX}/bin" if self.isolated else self.toolchain.bin_dir
        return ":".join([bin_dir, *system])

    def _preexec(self) -> None:
        if self._cgroup is not None:
            # Join the sandbox's pids cgroup before exec: every process it starts stays
            # inside, so the kernel refuses forks past the limit (rlimits alone do not bind
            # root, and the agent runs as the caller's uid).
            try:
                with open(self._cgroup / "cgroup.procs", "w") as fh:
                    fh.write(str(os.getpid()))
            except OSError:
                pass
        limits = self.limits
        mem = limits.memory_mb * 1024 * 1024
        fsize = limits.file_size_mb * 1024 * 1024
        for res, value in (
            (resource.RLIMIT_AS, mem * 2),  # address space, not RSS: leave headroom
            (resource.RLIMIT_FSIZE, fsize),
            (resource.RLIMIT_NOFILE, limits.nofile),
            (resource.RLIMIT_NPROC, limits.pids * 4),
        ):
            try:
                resource.setrlimit(res, (value, value))
            except (ValueError, OSError):
                pass

    def _spawn(self) -> PipeTransport:
        if not hasattr(self, "_cgroup"):
            # A little over the limit: the shell's own probe (which counts processes against
            # the limit and kills everything at it) must be able to see the limit reached.
            self._cgroup = pids_cgroup(self.limits.pids + CGROUP_HEADROOM)
        env = {
            "PATH": self._path(),
            "HOME": self.workdir if self.isolated else str(self.host_workspace),
            **BASE_ENV,
            **self.config.env,
        }
        transport = PipeTransport(
            self._argv(), env=env, cwd=str(self.host_workspace), preexec_fn=self._preexec
        )
        self._outer = transport
        return transport

    def _shell_host_pid(self) -> int | None:
        if self._outer is None or self.session.shell_pid is None:
            return None
        if not self.isolated:
            return self._outer.pid
        return _host_pid_of(
            self.session.shell_pid, [self._outer.pid, *descendants(self._outer.pid)]
        )

    def _kill_tree(self, _ns_pid: int | None) -> None:
        shell = self._shell_host_pid()
        if shell is None:
            return
        for _ in range(5):
            victims = descendants(shell)
            if not victims:
                return
            _kill(victims)

    def _kill_all(self) -> None:
        if self._outer is None:
            return
        if self.isolated:
            # bwrap's child is the init of the sandbox's PID namespace: killing it makes the
            # kernel kill every process in the namespace at once, fork bombs included.
            _kill(_children_map().get(self._outer.pid, []))
        for _ in range(50):
            victims = descendants(self._outer.pid)
            _kill(victims)
            if not victims:
                break
        try:
            os.killpg(self._outer.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    # -- Sandbox protocol ---------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise SandboxClosedError("the sandbox is closed; start a new one")

    def run(self, command: str, timeout: float | None = None) -> ExecResult:
        self._check()
        hits = self._pid_limit_hits()
        result = self.session.run(
            command,
            timeout=timeout if timeout is not None else self.limits.command_timeout_s,
            cap=self.limits.output_cap_bytes,
            kill_bytes=self.limits.output_kill_bytes,
        )
        if self._pid_limit_hits() > hits and "process limit" not in (result.note or ""):
            # The cgroup refused forks: a fork bomb, contained. Clean up and say so.
            self.session._safe(self._kill_all)
            self.session._dead_reason = "the sandbox hit its process limit (a fork bomb?)"
            note = (
                "the sandbox reached its process limit during this command (a fork bomb or "
                "runaway background processes); every process was killed and the next "
                "command starts a new shell" + left_by_earlier(self.session.last_leftover)
            )
            result = result.model_copy(
                update={"note": f"{result.note}; {note}" if result.note else note}
            )
        return result

    def _pid_limit_hits(self) -> int:
        """How often the sandbox's pids cgroup refused a fork (0 without a cgroup)."""
        cgroup = getattr(self, "_cgroup", None)
        if cgroup is None:
            return 0
        try:
            text = (cgroup / "pids.events").read_text()
        except OSError:
            return 0
        return sum(int(n) for key, n in (ln.split() for ln in text.splitlines()) if key == "max")

    def host_path(self, path: str) -> Path:
        """Where a sandbox path (under the workdir or /tmp) lives on the host."""
        inside = resolve_path(self.workdir, path)
        if is_within(self.workdir, inside):
            return self.host_workspace / inside[len(self.workdir) :].lstrip("/")
        if is_within("/tmp", inside):
            if not self.isolated:
                return Path(inside)
            return Path(self._tmp) / "tmp" / inside[len("/tmp") :].lstrip("/")
        raise SandboxError(
            f"{path} is outside the sandbox's writable folders ({self.workdir} and /tmp)"
        )

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        self._check()
        target = self.host_path(path)
        real = target.resolve()
        roots = [self.host_workspace.resolve(), (Path(self._tmp) / "tmp").resolve()]
        if self.isolated and not any(is_within(str(r), str(real)) for r in roots):
            raise SandboxError(f"{path} resolves outside the sandbox's folders")
        if not real.exists():
            raise FileNotFoundError(f"{path}: no such file in the sandbox")
        with open(real, "rb") as fh:
            return fh.read(max_bytes if max_bytes is not None else -1)

    def write_file(self, path: str, data: bytes | str, mode: int | None = None) -> None:
        self._check()
        target = self.host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            raise SandboxError(f"{path} is a symlink; refusing to write through it")
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(target, mode)

    def upload(self, host_path: str, sandbox_path: str) -> None:
        self._check()
        target = self.host_path(sandbox_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(host_path):
            shutil.copytree(host_path, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(host_path, target)

    def download(self, sandbox_path: str, host_path: str) -> None:
        self._check()
        source = self.host_path(sandbox_path)
        if source.is_dir():
            shutil.copytree(source, host_path, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, host_path)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._kill_all()
        self.session.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
        remove_cgroup(getattr(self, "_cgroup", None))

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _pids_roots() -> list[Path]:
    """Where a pids cgroup can be made: cgroup v1's pids hierarchy, or v2's unified tree
    when it has the pids controller."""
    roots = []
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists():
        roots.append(v1)
    for v2 in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        try:
            if "pids" in (v2 / "cgroup.controllers").read_text().split():
                roots.append(v2)
        except OSError:
            continue
    return roots


def pids_cgroup(limit: int) -> Path | None:
    """A fresh pids cgroup capped at ``limit`` for one sandbox, or None where this process
    may not make one (not root, no pids controller): then only rlimits apply, as
    docs/sandbox.md says."""
    import secrets

    for root in _pids_roots():
        path = root / f"agentgym-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(limit))
            return path
        except OSError:
            remove_cgroup(path if path.exists() else None)
            continue
    return None


def remove_cgroup(path: Path | None) -> None:
    """Kill what is left in the cgroup and remove it (a cgroup goes once it is empty)."""
    if path is None:
        return
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        if not pids:
            break
        _kill(pids)
        time.sleep(0.01)
    try:
        path.rmdir()
    except OSError:
        pass


_bwrap_ok: bool | None = None


def _bwrap_works() -> bool:
    """bwrap can be installed but unusable (no user namespaces): try it once."""
    global _bwrap_ok
    if _bwrap_ok is None:
        import subprocess

        try:
            proc = subprocess.run(
                [
                    "bwrap",
                    "--unshare-all",
                    "--unshare-user",
                    "--uid",
                    str(SANDBOX_UID),
                    "--ro-bind",
                    "/",
                    "/",
                    "--proc",
                    "/proc",
                    "--dev",
                    "/dev",
                    "true",
                ],
                capture_output=True,
                timeout=10,
            )
            _bwrap_ok = proc.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _bwrap_ok = False
    return _bwrap_ok
