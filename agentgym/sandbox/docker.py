"""DockerSandbox: one container per episode, one persistent bash per container.

The container's main process (under docker's tiny init) is a small bash *supervisor* that
only waits for signals: SIGUSR2 kills every descendant of the agent's shell (a timed-out
command) and, in later rounds, only what those processes started, never a process the
shell starts after the first round (the agent's next command); SIGUSR1 kills every process
but itself (a stuck shell, a fork bomb). Both use
bash builtins only, so they work even when a fork bomb has used up the pids limit and
``docker exec`` could not start a process. The host sends them with ``container.kill``.
"""

from __future__ import annotations

import atexit
import io
import os
import posixpath
import socket
import tarfile
import threading
import time
import uuid
import weakref
from typing import Any

from agentgym.errors import (
    SandboxClosedError,
    SandboxError,
    SandboxGoneError,
    SandboxStartError,
)
from agentgym.sandbox._client import docker_client
from agentgym.sandbox.base import BASE_ENV, SandboxConfig, shell_quote
from agentgym.sandbox.shell import DockerExecTransport, ShellSession
from agentgym.types import ExecResult

LABEL = "agentgym.managed"
RUN_ID = uuid.uuid4().hex[:12]
STATE_DIR = "/run/agentgym"

# Runs as the container's main process. Builtins only inside the traps.
SUPERVISOR = r"""
kill_tree() {
  local root line rest pid ppid s round p
  read -r root < /run/agentgym/shell.pid 2>/dev/null || return 0
  local -A doomed=()
  for round in 1 2 3 4 5 6; do
    local -A kids=() alive=() seen=()
    for s in /proc/[0-9]*/stat; do
      read -r line < "$s" 2>/dev/null || continue
      pid=${line%% *}; rest=${line##*) }; rest=${rest#* }; ppid=${rest%% *}
      kids[$ppid]+=" $pid"; alive[$pid]=1
    done
    local queue=() victims=()
    if ((round == 1)); then
      queue=(${kids[$root]})
    else
      for p in "${!doomed[@]}"; do
        [[ ${alive[$p]} ]] && queue+=("$p")
        queue+=(${kids[$p]})
      done
    fi
    while ((${#queue[@]})); do
      p=${queue[0]}; queue=("${queue[@]:1}")
      [[ ${seen[$p]} ]] && continue
      seen[$p]=1; victims+=("$p"); queue+=(${kids[$p]})
    done
    ((${#victims[@]})) || return 0
    kill -9 "${victims[@]}" 2>/dev/null
    for p in "${victims[@]}"; do doomed[$p]=1; done
  done
}
kill_everything() { local i; for i in 1 2 3 4 5 6 7 8; do kill -9 -1 2>/dev/null; done; }
trap kill_tree USR2
trap kill_everything USR1
trap 'exit 0' TERM
mkdir -p /run/agentgym
while :; do
  sleep 86400 & s=$!
  wait $s
  kill $s 2>/dev/null
done
"""

_live: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()
_live_lock = threading.Lock()
_gc_done = threading.Event()


def _process_start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (guards against pid reuse), '' if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rfind(b")") + 2 :].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def owner_labels() -> dict[str, str]:
    pid = os.getpid()
    return {
        LABEL: "1",
        "agentgym.owner_pid": str(pid),
        "agentgym.owner_start": _process_start_time(pid),
        "agentgym.owner_host": socket.gethostname(),
        "agentgym.boot_id": _boot_id(),
        "agentgym.run_id": RUN_ID,
        "agentgym.created": f"{time.time():.3f}",
    }


def _owner_alive(labels: dict[str, str]) -> bool:
    if labels.get("agentgym.owner_host") != socket.gethostname():
        return True  # another machine's container: never ours to judge
    if labels.get("agentgym.boot_id") and labels.get("agentgym.boot_id") != _boot_id():
        return False
    try:
        pid = int(labels.get("agentgym.owner_pid", "0"))
    except ValueError:
        return False
    if pid <= 0 or not os.path.exists(f"/proc/{pid}"):
        return False
    return _process_start_time(pid) == labels.get("agentgym.owner_start", "")


def gc(all_owners: bool = False) -> list[str]:
    """Remove agentgym containers whose owning process is gone (or all, if asked)."""
    client = docker_client()
    removed: list[str] = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        labels = container.labels or {}
        if all_owners or not _owner_alive(labels):
            try:
                container.remove(force=True)
                removed.append(container.name)
            except Exception:
                pass
    return removed


class _Remover:
    """Containers whose removal failed, removed again in the background.

    A daemon under load can fail a forced removal: it kills the container, waits 10 s for the
    exit event, and answers "could not kill running container" when the kill of a fork
    bomb's thousands of processes takes longer (seen in the 32 x 10 min soak). The container
    exits a moment later; without a second try it stayed, exited, until the next ``gc`` after
    this process ended. Retries back off from 1 s to 30 s for ``give_up_s``; at exit the rest
    get one last try.
    """

    PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)

    def __init__(self, remove: Any = None, give_up_s: float = 300.0) -> None:
        self._remove = remove or (lambda cid: docker_client().api.remove_container(cid, force=True))
        self.give_up_s = give_up_s
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[float, int]] = {}  # id -> (first failure, tries)
        self._thread: threading.Thread | None = None

    def remove(self, container_id: str) -> None:
        """Remove now; if the daemon refuses, keep trying in the background."""
        if not self.try_remove(container_id):
            self.retry_later(container_id)

    def try_remove(self, container_id: str) -> bool:
        """One removal; True when the container is gone (removed, or not found)."""
        import docker.errors

        try:
            self._remove(container_id)
            return True
        except docker.errors.NotFound:
            return True
        except Exception:
            return False

    def retry_later(self, container_id: str) -> None:
        with self._lock:
            self._pending.setdefault(container_id, (time.monotonic(), 0))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="agentgym-container-remover", daemon=True
                )
                self._thread.start()

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                tries = min(t for _, t in self._pending.values())
            time.sleep(self.PAUSES[min(tries, len(self.PAUSES) - 1)])
            self.flush()

    def flush(self) -> None:
        """Try every pending container once now."""
        for cid in self.pending():
            gone = self.try_remove(cid)
            with self._lock:
                first, tries = self._pending.get(cid, (time.monotonic(), 0))
                if gone or time.monotonic() - first > self.give_up_s:
                    self._pending.pop(cid, None)  # given up: `agentgym sandbox gc` after exit
                else:
                    self._pending[cid] = (first, tries + 1)


_remover = _Remover()


def pending_removals() -> list[str]:
    """Ids of containers this process failed to remove and is still retrying."""
    return _remover.pending()


def _close_all_live(deadline_s: float = 60.0) -> None:
    """At exit: close every live sandbox, all at once (a busy daemon removes containers
    slowly, one after another would add up), waiting at most ``deadline_s``; whatever is left
    is removed by the next ``gc`` (its owner is gone by then)."""
    with _live_lock:
        live = list(_live)

    def close(sandbox: DockerSandbox) -> None:
        try:
            sandbox.close()
        except Exception:
            pass

    threads = [threading.Thread(target=close, args=(sb,), daemon=True) for sb in live]
    for t in threads:
        t.start()
    end = time.monotonic() + deadline_s
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    _remover.flush()  # containers whose removal failed earlier: one last try


atexit.register(_close_all_live)


class DockerSandbox:
    """A container with a persistent bash. Limits are on by default (see SandboxLimits)."""

    def __init__(self, config: SandboxConfig | None = None, *, start_shell: bool = True) -> None:
        self.config = config or SandboxConfig(type="docker")
        self.limits = self.config.limits
        self.workdir = self.config.workdir
        self.state: dict[str, Any] = {}
        self._client = docker_client()
        if not _gc_done.is_set():
            _gc_done.set()
            try:
                gc()
            except Exception:
                pass
        self._closed = False
        self._close_lock = threading.Lock()
        self.container_restarts = 0
        self.container_recreated = False
        self.oom_killed = False
        self.container = self._create()
        with _live_lock:
            _live.add(self)
        self.session = ShellSession(
            spawn=self._spawn,
            kill_tree=lambda _pid: self._signal("SIGUSR2"),
            kill_all=lambda: self._signal("SIGUSR1"),
            workdir=self.workdir,
            init_lines=[f"echo $$ > {STATE_DIR}/shell.pid"],
            hard_reset=self._hard_reset,
        )
        if start_shell:
            try:
                self.session.start()
            except Exception:
                self.close()
                raise

    # -- container ---------------------------------------------------------

    def _create(self) -> Any:
        import docker.errors
        from docker.types import Ulimit

        limits = self.limits
        mem = f"{limits.memory_mb}m"
        kwargs: dict[str, Any] = {
            "image": self.config.image,
            "command": ["bash", "-c", SUPERVISOR],
            "detach": True,
            "init": True,
            "labels": {**owner_labels(), **self.config.labels},
            "working_dir": self.workdir,
            "environment": {**BASE_ENV, **self.config.env},
            "mem_limit": mem,
            "memswap_limit": mem,
            "nano_cpus": int(limits.cpus * 1e9),
            "pids_limit": limits.pids,
            "cap_drop": ["ALL"],
            "cap_add": ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"],
            "security_opt": ["no-new-privileges"],
            "ulimits": [
                Ulimit(
                    name="fsize", soft=limits.file_size_mb << 20, hard=limits.file_size_mb << 20
                ),
                Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
            ],
            "tmpfs": {"/tmp": f"size={limits.tmpfs_mb}m", STATE_DIR: "size=1m"},
            "network_mode": "bridge" if limits.network else "none",
            "volumes": {
                h: {"bind": c, "mode": "ro"} for h, c in self.config.readonly_mounts.items()
            },
            "name": f"agentgym-{RUN_ID}-{uuid.uuid4().hex[:8]}",
        }
        if limits.disk_mb is not None:
            kwargs["storage_opt"] = {"size": f"{limits.disk_mb}M"}
        if limits.gpus:
            from docker.types import DeviceRequest

            kwargs["device_requests"] = [DeviceRequest(count=limits.gpus, capabilities=[["gpu"]])]
        try:
            container = self._client.containers.run(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise SandboxStartError(
                f"image {self.config.image!r} not found; build it with "
                "`agentgym image bootstrap` (base) or `agentgym image build DIR`"
            ) from exc
        except docker.errors.APIError as exc:
            if "storage_opt" in kwargs and "storage-opt" in str(exc).lower():
                raise SandboxStartError(
                    f"this Docker storage driver cannot limit disk size ({exc}); "
                    "set limits.disk_mb=None"
                ) from exc
            if limits.gpus and "device driver" in str(exc).lower():
                raise SandboxStartError(
                    f"the task asks for {limits.gpus} GPU(s) but this Docker daemon has no GPU "
                    f"runtime ({exc}); run it where the NVIDIA container toolkit is installed"
                ) from exc
            raise SandboxStartError(f"could not start a container: {exc}") from exc
        return container

    def _spawn(self) -> DockerExecTransport:
        import docker.errors

        def make() -> DockerExecTransport:
            return DockerExecTransport(
                self._client.api,
                self.container.id,
                ["bash", "--noprofile", "--norc"],
                env={**BASE_ENV, "HOME": "/root", **self.config.env},
                workdir="/",
            )

        try:
            return make()
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise
        # The container stopped (its init died, e.g. killed for memory): start it again.
        # Its filesystem is kept; processes and the in-memory /tmp are not.
        self.container.reload()
        self.oom_killed = bool(self.container.attrs.get("State", {}).get("OOMKilled"))
        self.container.start()
        self.container_restarts += 1
        return make()

    # -- repair ------------------------------------------------------------------

    def _hard_reset(self, why: str) -> str:
        """Bring back a container the agent broke; a sentence for the agent saying how.

        First a restart: every process dies (fork bombs included), /dev and /tmp are
        mounted afresh, files on disk stay. If the system files the shell needs are gone
        too (``rm -rf /``), the container is rebuilt from its image and the workspace, as
        the agent left it, is copied over.
        """
        import docker.errors

        api = self._client.api
        try:
            self.container.reload()
        except docker.errors.NotFound as exc:
            raise SandboxGoneError(
                f"the sandbox container {self.container.name} was removed from outside"
            ) from exc
        try:
            api.restart(self.container.id, timeout=0)
            self.container.reload()
            if self.container.status == "running" and self._system_ok():
                return (
                    f"{why}: the sandbox container was restarted (every process was "
                    "stopped, /dev and /tmp are new; files on disk were kept)"
                )
        except Exception:
            pass
        self._recreate()
        return (
            f"{why}: the sandbox was rebuilt from its image because its system files were "
            f"damaged; the workspace {self.workdir} was copied over as you left it, but "
            f"anything installed or changed outside it (and /tmp) was lost"
        )

    def _system_ok(self) -> bool:
        probe = "[ -c /dev/null ] && [ -e /bin/sh ] && [ -e /usr/bin/env ]"
        try:
            result = self.container.exec_run(["bash", "-c", probe], workdir="/")
        except Exception:
            return False
        return result.exit_code == 0

    def _recreate(self) -> None:
        """A new container from the image with the old one's workspace copied in."""
        import docker.errors

        old = self.container
        try:
            stream, _ = self._client.api.get_archive(old.id, self.workdir)
            workspace: bytes | None = b"".join(stream)
        except docker.errors.NotFound:
            workspace = None  # the agent deleted its workspace: it stays deleted
        new = self._create()
        try:
            parent = posixpath.dirname(self.workdir.rstrip("/")) or "/"
            wd = shell_quote(self.workdir)
            cleared = new.exec_run(["bash", "-c", f"rm -rf -- {wd} && mkdir -p -- {wd}"])
            if cleared.exit_code != 0:
                raise SandboxError(f"could not clear the new workspace: {cleared.output!r}")
            if workspace and not self._client.api.put_archive(new.id, parent, workspace):
                raise SandboxError("could not copy the workspace into the new container")
        except Exception:
            _remover.remove(new.id)
            raise
        self.container = new
        self.container_recreated = True
        _remover.remove(old.id)  # the broken one (a fork bomb's: slow to kill)

    def infrastructure_fault(self) -> str | None:
        """Why the sandbox failed for reasons outside the agent's reach, or None."""
        import docker.errors

        try:
            self._client.ping()
        except Exception as exc:
            return f"the Docker daemon does not answer ({exc.__class__.__name__}: {exc})"
        if not self._closed:
            try:
                self.container.reload()
            except docker.errors.NotFound:
                return f"the sandbox container {self.container.name} was removed from outside"
            except Exception as exc:
                return f"the Docker daemon failed ({exc.__class__.__name__}: {exc})"
        return None

    def _signal(self, sig: str) -> None:
        self._client.api.kill(self.container.id, signal=sig)
        time.sleep(0.05)  # let the supervisor's trap run

    # -- Sandbox protocol ---------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise SandboxClosedError("the sandbox is closed; start a new one")

    def run(self, command: str, timeout: float | None = None) -> ExecResult:
        self._check()
        restarts = self.container_restarts
        result = self.session.run(
            command,
            timeout=timeout if timeout is not None else self.limits.command_timeout_s,
            cap=self.limits.output_cap_bytes,
            kill_bytes=self.limits.output_kill_bytes,
        )
        if self.container_restarts != restarts:
            why = "it ran out of memory" if self.oom_killed else "its main process died"
            note = (
                f"note: the sandbox container had stopped ({why}, limit "
                f"{self.limits.memory_mb} MB) and was started again: files are kept, "
                "/tmp and all processes were lost"
            )
            result = result.model_copy(
                update={"note": note + (f"; {result.note}" if result.note else "")}
            )
        return result

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        """Bytes of a file, read through the shell (base64-framed: any content)."""
        self._check()
        full = path if path.startswith("/") else posixpath.join(self.workdir, path)
        limit = max_bytes if max_bytes is not None else 64 * 1024 * 1024
        q = shell_quote(full)
        cap = (limit + 2) * 4 // 3 + 1024
        result = self.session.run(
            f"if [ -f {q} ]; then head -c {limit} -- {q} | base64 -w0; "
            f"elif [ -e {q} ]; then echo __AG_NOT_FILE__; else echo __AG_MISSING__; fi",
            timeout=120,
            cap=cap,
            kill_bytes=cap + 1024,
        )
        out = result.output.strip()
        if out == "__AG_MISSING__":
            raise FileNotFoundError(f"{path}: no such file in the sandbox")
        if out == "__AG_NOT_FILE__":
            raise IsADirectoryError(f"{path} is not a regular file")
        if result.exit_code != 0 or result.truncated:
            raise SandboxError(f"could not read {path}: {out[:300]}")
        import base64

        return base64.b64decode(out)

    def write_file(self, path: str, data: bytes | str, mode: int | None = None) -> None:
        """Write a file (parents created). An existing file keeps its permissions."""
        self._check()
        payload = data.encode() if isinstance(data, str) else data
        full = path if path.startswith("/") else posixpath.join(self.workdir, path)
        parent = posixpath.dirname(full)
        q = shell_quote(full)
        chmod = f" && chmod {mode:o} {q}" if mode is not None else ""
        if len(payload) <= 48 * 1024:
            import base64

            encoded = base64.b64encode(payload).decode()
            result = self.session.run(
                f"mkdir -p -- {shell_quote(parent or '/')} && "
                f"printf %s '{encoded}' | base64 -d > {q}{chmod}",
                timeout=60,
                cap=4096,
                kill_bytes=1 << 20,
            )
            if result.exit_code != 0:
                raise SandboxError(f"could not write {path}: {result.output.strip()[:300]}")
            return
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(name="payload")
            info.size = len(payload)
            info.mode = mode if mode is not None else 0o644
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(payload))
        stage = self._stage(buf.getvalue())
        # `cat >` keeps an existing file's mode; works on tmpfs mounts too.
        result = self.session.run(
            f"mkdir -p -- {shell_quote(parent or '/')} && cat {stage}/payload > {q}{chmod}; "
            f"rc=$?; rm -rf {stage}; exit $rc",
            timeout=120,
            cap=4096,
            kill_bytes=1 << 20,
        )
        if result.exit_code != 0:
            raise SandboxError(f"could not write {path}: {result.output.strip()[:300]}")

    def _stage(self, tar: bytes) -> str:
        """Unpack a tar into a fresh folder on the container's root filesystem.

        The archive API cannot see tmpfs mounts (/tmp), so big writes land here first and
        the shell moves them into place.
        """
        stage = f"/var/tmp/.agentgym-stage-{uuid.uuid4().hex[:12]}"
        made = self.session.run(f"mkdir -p {stage}", timeout=30, cap=4096, kill_bytes=1 << 20)
        if made.exit_code != 0 or not self._client.api.put_archive(self.container.id, stage, tar):
            raise SandboxError(f"could not stage files in the sandbox: {made.output[:200]}")
        return stage

    def upload(self, host_path: str, sandbox_path: str) -> None:
        """Copy a host file or folder to ``sandbox_path`` (created if needed)."""
        self._check()
        buf = io.BytesIO()
        name = posixpath.basename(sandbox_path.rstrip("/")) or "root"
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(host_path, arcname=name)
        full = sandbox_path
        if not full.startswith("/"):
            full = posixpath.join(self.workdir, sandbox_path)
        parent = posixpath.dirname(full.rstrip("/")) or "/"
        stage = self._stage(buf.getvalue())
        result = self.session.run(
            f"mkdir -p -- {shell_quote(parent)} && cp -a {stage}/{shell_quote(name)} "
            f"{shell_quote(parent)}/; rc=$?; rm -rf {stage}; exit $rc",
            timeout=300,
            cap=4096,
            kill_bytes=1 << 20,
        )
        if result.exit_code != 0:
            raise SandboxError(f"could not upload {host_path}: {result.output[:300]}")

    def download(self, sandbox_path: str, host_path: str) -> None:
        """Copy a sandbox file or folder to ``host_path``."""
        self._check()
        stream, _ = self._client.api.get_archive(self.container.id, sandbox_path)
        buf = io.BytesIO(b"".join(stream))
        with tarfile.open(fileobj=buf) as tar:
            members = tar.getmembers()
            root = members[0].name.split("/")[0] if members else ""
            for member in members:
                rel = member.name[len(root) :].lstrip("/")
                member.name = rel or "."
            if len(members) == 1 and members[0].isfile():
                os.makedirs(os.path.dirname(os.path.abspath(host_path)), exist_ok=True)
                fh = tar.extractfile(members[0])
                assert fh is not None
                with open(host_path, "wb") as out:
                    out.write(fh.read())
            else:
                os.makedirs(host_path, exist_ok=True)
                tar.extractall(host_path, filter="data")

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.session.close()
        finally:
            _remover.remove(self.container.id)  # a busy daemon: again, in the background
            with _live_lock:
                _live.discard(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
