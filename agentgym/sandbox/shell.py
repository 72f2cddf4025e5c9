"""One persistent bash process per sandbox, spoken to through framed commands.

Each command is sent as one fixed protocol line followed by the command's bytes and a NUL::

    IFS= read -r -d '' __ag_c; eval "$__ag_c" </dev/null; printf '%s%d\\n' <MARKER> "$?"
    <command bytes>\\0

The marker is 128 random bits drawn per command and is never written to the shell's input
except in the protocol line, which bash does not echo, so no output the command produces
(marker-like text, binary bytes, CRLF, no trailing newline, megabytes) can end the frame
early. ``eval`` runs in the shell itself, so cwd, variables and functions persist; the
command's stdin is /dev/null so it cannot eat the protocol. Output streams back as it is
produced; only a head and a tail are kept (``OutputCollector``) and a runaway producer is
killed once it passes a hard byte limit.
"""

from __future__ import annotations

import os
import secrets
import select
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentgym.errors import SandboxClosedError, SandboxError, SessionDiedError
from agentgym.types import ExecResult

# After the marker: "<exit code> <pids> <health> <before> <after> <fd limit>", <pids> being 1 if
# the sandbox is at its process limit, 2 if the limit refused forks while the command ran (or
# since the last one) but few processes are left now (a fork bomb that died out), else 0; or
# "skip 1" when the sandbox was full before the command ran (a fork bomb left running): then
# the host kills everything, restarts the shell and sends the command again.
# <health> is "ok" or a comma list of what the command broke (see HEALTH_INIT); <before> and
# <after> are the process counts when the command started and ended (0 where they cannot be
# counted): far above an idle shell's, the processes that filled the sandbox were left by
# earlier commands (a fork bomb started in the background grows while the agent's next
# commands run, and the command that meets the limit is its victim, not its cause). The fd
# limit is `ulimit -Sn`'s output. Everything here is a bash builtin: no process is started, so the
# check costs microseconds and works when the sandbox is out of processes or files.
PROTOCOL = (
    b"IFS= read -r -d '' __ag_c; __ag_rose=; "
    b"if __ag_full; then printf '%%s%%s\\n' %s 'skip 1'; "
    b'else __ag_p0=${__ag_p:-0}; eval "$__ag_c" </dev/null; __ag_s=$?; __ag_h=0; '
    b"__ag_full && __ag_h=1; [[ -n $__ag_rose && $__ag_h == 0 ]] && __ag_h=2; __ag_health; "
    b'printf \'%%s%%d %%d %%s %%d %%d \' %s "$__ag_s" "$__ag_h" "${__ag_bad:-ok}" "$__ag_p0" '
    b'"${__ag_p:-0}"; '
    b"ulimit -Sn || echo; fi\n"
)
PIDS_PROBE = (
    "__ag_pf=; for __ag_f in /sys/fs/cgroup/pids/pids.current /sys/fs/cgroup/pids.current; "
    'do [ -r "$__ag_f" ] && { __ag_pf=$__ag_f; break; }; done; __ag_pl=0; '
    '[ -n "$__ag_pf" ] && read -r __ag_pl < "${__ag_pf%current}max"; '
    "[[ $__ag_pl =~ ^[0-9]+$ ]] || __ag_pf=; "
    '__ag_count() { read -r __ag_p < "$__ag_pf"; }; '
    # pids.events counts forks the limit refused: a rise while many processes live is a
    # fork bomb even when the count read in passing is a few below the limit.
    "__ag_evf=${__ag_pf%current}events; __ag_e0=0; "
    '[ -n "$__ag_pf" ] && [ -r "$__ag_evf" ] && read -r _ __ag_e0 < "$__ag_evf" || __ag_evf=; '
    '__ag_full() { [ -n "$__ag_pf" ] && __ag_count || return 1; '
    '((__ag_p + 3 >= __ag_pl)) && return 0; [ -n "$__ag_evf" ] || return 1; '
    'read -r _ __ag_e < "$__ag_evf" || return 1; ((__ag_e > __ag_e0)) || return 1; '
    "__ag_e0=$__ag_e; __ag_rose=1; ((2 * __ag_p >= __ag_pl)); }"
)
# Where there is no pids cgroup (bubblewrap): count the processes of the sandbox's own PID
# namespace with a glob (builtins only) against the configured limit.
PIDS_PROBE_PROC = (
    "__ag_pf=/proc; __ag_pl={limit}; __ag_evf=; "
    "__ag_count() {{ local __ag_a=(/proc/[0-9]*); __ag_p=${{#__ag_a[@]}}; }}"
)
# Shell health, checked after every command with builtins only. Repaired in the shell:
# a deleted working directory (back to the workdir) and a PATH without /usr/bin (the
# starting PATH appended). Reported for the host to repair: missing device nodes ("dev"),
# missing system files the shell needs to start programs ("sys").
HEALTH_INIT = (
    "__ag_path0=$PATH; __ag_sys=(); "
    "for __ag_f in /bin/sh /usr/bin/env /lib64/ld-linux-x86-64.so.2 "
    "/lib/ld-linux-aarch64.so.1 /lib/ld-musl-x86_64.so.1; "
    'do [ -e "$__ag_f" ] && __ag_sys+=("$__ag_f"); done; __ag_sys+=(/ / /); '
    # One [[ ]] per check: a few microseconds each (a loop of [ ] costs several times more).
    "__ag_health() { __ag_bad=; "
    "[[ -c /dev/null && -c /dev/zero && -c /dev/random && -c /dev/urandom && -c /dev/full ]] "
    "|| __ag_bad=dev,; "
    "[[ -e ${__ag_sys[0]} && -e ${__ag_sys[1]} && -e ${__ag_sys[2]} ]] || __ag_bad+=sys,; "
    '[[ -d $PWD ]] || { [[ -d $__ag_wd ]] && builtin cd -- "$__ag_wd" || builtin cd /; '
    "__ag_bad+=cwd,; }; "
    "[[ :$PATH: == *:/usr/bin:* ]] || { PATH=${PATH:+$PATH:}$__ag_path0; __ag_bad+=path,; }; "
    "__ag_bad=${__ag_bad%,}; }"
)
# A soft fd limit below this leaves the shell unable to redirect: restart it.
MIN_NOFILE = 64
# This many processes beyond an idle shell's, left by earlier commands when a command that
# hits the process limit starts, make the note name them (and not the command) as the cause.
LEFTOVER_PIDS = 8
# A non-interactive bash exits with this status when fork() keeps failing (bash 5.2, measured:
# `docker run --pids-limit 20 <image> bash -c 'for i in $(seq 30); do sleep 30 & done'`).
BASH_FORK_FAILED = 254


def left_by_earlier(leftover: int, killed: bool = True) -> str:
    """The note's clause for a command that met the process limit with this many processes
    left by earlier commands in the sandbox ('' below LEFTOVER_PIDS): they, not it, filled it.
    ``killed``: they were killed with everything else, so a rerun can work."""
    if leftover < LEFTOVER_PIDS:
        return ""
    if not killed:
        return (
            f"; {leftover} processes left running by earlier commands are still in the sandbox "
            "and hold its process slots: stop those you do not need (`jobs`, `kill`) before "
            "you retry this command"
        )
    return (
        f"; {leftover} processes left running by earlier commands were already in the sandbox "
        "when this command started (a fork bomb or jobs started in the background), so this "
        "command may not have run completely: check its output and run it again"
    )


class Transport(Protocol):
    """A byte pipe to a running bash: ``recv`` returns b"" on timeout and None at EOF."""

    def send(self, data: bytes) -> None: ...

    def recv(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...

    def exit_code(self) -> int | None: ...


class PipeTransport:
    """A local subprocess (bash, or bwrap running bash) over its stdin/stdout pipes."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._out = self.proc.stdout.fileno()
        self._in = self.proc.stdin

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, data: bytes) -> None:
        try:
            self._in.write(data)
        except (BrokenPipeError, OSError, ValueError):
            pass  # the shell is gone: recv() reports EOF

    def recv(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self._out], [], [], max(timeout, 0.0))
        if not ready:
            return b""
        data = os.read(self._out, 1 << 16)
        return data if data else None

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def exit_code(self) -> int | None:
        try:
            return self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None


class DockerExecTransport:
    """``docker exec -i`` of bash over the Docker API's hijacked socket (no CLI process).

    Without a TTY the stream is multiplexed: 8-byte headers (stream, 0, 0, 0, size) before
    each payload. Everything is one stream here since the shell runs ``exec 2>&1``.
    """

    def __init__(
        self, api: Any, container_id: str, argv: list[str], env: dict[str, str], workdir: str
    ) -> None:
        self._api = api
        self._exec_id = api.exec_create(
            container_id,
            argv,
            stdin=True,
            stdout=True,
            stderr=True,
            tty=False,
            environment=env,
            workdir=workdir,
        )["Id"]
        raw = api.exec_start(self._exec_id, socket=True)
        self._wrapper = raw
        self._sock: socket.socket = getattr(raw, "_sock", raw)
        self._sock.setblocking(True)
        self._buf = bytearray()
        self._eof = False

    def send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self._eof = True

    def _payload(self) -> bytes:
        out = bytearray()
        buf = self._buf
        while len(buf) >= 8:
            size = struct.unpack(">I", bytes(buf[4:8]))[0]
            if len(buf) < 8 + size:
                break
            out += buf[8 : 8 + size]
            del buf[: 8 + size]
        return bytes(out)

    def recv(self, timeout: float) -> bytes | None:
        if self._eof:
            return None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._sock], [], [], max(remaining, 0.0))
            if not ready:
                return b""
            try:
                chunk = self._sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                data = self._payload()
                return data if data else None
            self._buf += chunk
            data = self._payload()
            if data:
                return data
            if remaining <= 0:
                return b""

    def close(self) -> None:
        for obj in (self._sock, self._wrapper):
            try:
                obj.close()
            except Exception:
                pass

    def exit_code(self) -> int | None:
        for _ in range(20):
            try:
                info = self._api.exec_inspect(self._exec_id)
            except Exception:
                return None
            if not info.get("Running"):
                return info.get("ExitCode")
            time.sleep(0.025)
        return None


@dataclass
class OutputCollector:
    """Keeps the first ``head`` and last ``tail`` bytes of a stream and counts the rest."""

    head: int
    tail: int
    total: int = 0
    _head: bytearray = field(default_factory=bytearray)
    _tail: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.total += len(data)
        room = self.head - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data and self.tail > 0:
            self._tail += data
            if len(self._tail) > 4 * self.tail + 65536:
                del self._tail[: len(self._tail) - self.tail]

    @property
    def cut(self) -> int:
        return max(0, self.total - len(self._head) - min(len(self._tail), self.tail))

    def text(self) -> str:
        tail = bytes(self._tail[-self.tail :]) if self.tail else b""
        head = bytes(self._head)
        if self.cut:
            notice = (
                f"\n[... {self.cut} bytes cut: output was {self.total} bytes; showing the "
                f"first {len(head)} and last {len(tail)}. Redirect to a file and view parts "
                "of it (e.g. `cmd > out.txt; sed -n 1,50p out.txt`) to see more ...]\n"
            )
            return _decode(head) + notice + _decode(tail)
        return _decode(head + tail)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _closed(*_args: object) -> Any:
    raise SandboxClosedError("the sandbox is closed; start a new one")


class ShellSession:
    """A persistent bash behind a Transport: framing, timeouts, output caps, restarts.

    ``spawn`` starts a new transport; ``kill_tree(shell_pid)`` kills every descendant of
    the shell (not the shell); ``kill_all()`` kills every process of the sandbox so even a
    stuck shell or a fork bomb dies. Both are backend-specific. ``hard_reset(why)`` (optional)
    rebuilds what a shell restart cannot: the container's processes, /dev and system files
    (Docker restarts or recreates the container, keeping the workspace); it returns a
    sentence for the agent saying what was lost. Without it, a repair is kill_all + a new
    shell (the embedded backend's new shell is a new bubblewrap: fresh /dev and root).

    After every command the shell reports its health (HEALTH_INIT); what the command broke is
    repaired before the result is returned and the result's note says what was done.
    """

    def __init__(
        self,
        spawn: Callable[[], Transport],
        kill_tree: Callable[[int], None],
        kill_all: Callable[[], None],
        workdir: str,
        init_lines: list[str] | None = None,
        hard_reset: Callable[[str], str] | None = None,
    ) -> None:
        self._spawn = spawn
        self._kill_tree = kill_tree
        self._kill_all = kill_all
        self.workdir = workdir
        self._init_lines = init_lines or []
        self._hard_reset = hard_reset
        self.repairs = 0
        self._lock = threading.Lock()
        self._transport: Transport | None = None
        self.shell_pid: int | None = None
        self._dead_reason: str | None = None
        self.restarts = 0
        self.closed = False
        self.idle_pids = 0  # processes in the sandbox with only a fresh shell (0: not counted)
        self.pids_before = 0  # and when the last command started
        self.pids_after = 0  # and when it ended
        # processes earlier commands had left when the last command started (0: few/unknown)
        self.last_leftover = 0

    # -- life cycle --------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        transport = self._spawn()
        self._transport = transport
        wd = self.workdir.replace("'", "'\\''")
        script = [
            "exec 2>&1",
            "unset HISTFILE PROMPT_COMMAND; set +o history 2>/dev/null",
            "export TERM=dumb PAGER=cat GIT_PAGER=cat MANPAGER=cat SYSTEMD_PAGER= "
            "DEBIAN_FRONTEND=noninteractive",
            f'__ag_wd=\'{wd}\'; mkdir -p "$__ag_wd" 2>/dev/null; cd "$__ag_wd" 2>/dev/null || cd /',
            PIDS_PROBE,
            HEALTH_INIT,
            *self._init_lines,
        ]
        transport.send(("\n".join(script) + "\n").encode())
        # The last line only: a sandbox the agent broke (no /dev/null) may print errors first.
        result = self._run_locked(
            "printf '\\n%s' $$", timeout=30.0, cap=4096, kill_bytes=1 << 20, check=False
        )
        pid = result.output.rsplit("\n", 1)[-1].strip()
        if result.exit_code != 0 or not pid.isdigit():
            transport.close()
            self._transport = None
            raise SessionDiedError(
                f"the sandbox shell did not start (got {result.output[-500:]!r}); "
                "check that the image has bash"
            )
        self.shell_pid = int(pid)
        self._dead_reason = None
        if self.pids_before:  # a fresh shell, before any agent command: the idle count
            self.idle_pids = min(self.idle_pids or self.pids_before, self.pids_before)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._transport is not None:
                self._transport.close()
                self._transport = None
            # The backend's callbacks are its bound methods: dropping them breaks the
            # sandbox <-> session cycle, so a closed sandbox (its container record, config,
            # buffers) is freed at once by reference counting instead of waiting for a
            # full garbage collection. Under a soak, sandboxes that waited for the cyclic
            # collector were the sawtooth that set the process's RSS high-water mark.
            self._spawn = self._kill_tree = self._kill_all = _closed
            self._hard_reset = None

    # -- commands ------------------------------------------------------------

    def run(self, command: str, timeout: float, cap: int, kill_bytes: int) -> ExecResult:
        if "\0" in command:
            return ExecResult(
                output="error: the command contains a NUL byte, which bash cannot take; "
                "remove it (use printf '\\0' inside the command to produce one).",
                exit_code=2,
            )
        with self._lock:
            if self.closed:
                raise SandboxClosedError("the sandbox is closed; start a new one")
            restarted_note = None
            if self._transport is None or self._dead_reason is not None:
                reason = self._dead_reason or "the shell was not running"
                extra = self._restart_locked()
                restarted_note = (
                    f"note: {reason}; a fresh shell was started in {self.workdir} "
                    "(cwd, variables and background jobs were reset)"
                ) + (f"; {extra}" if extra else "")
            result = self._run_locked(command, timeout, cap, kill_bytes)
            if restarted_note:
                note = restarted_note + (f"; {result.note}" if result.note else "")
                result = result.model_copy(update={"shell_restarted": True, "note": note})
            return result

    def _start_with_retries(self) -> None:
        """Start the shell; if the sandbox refuses (out of processes: a fork bomb that the
        first kill did not finish), kill everything again and retry with a short backoff."""
        error: Exception | None = None
        try:
            for pause in (0.0, 0.2, 0.5, 1.0):
                if pause:
                    self._safe(self._kill_all)
                    time.sleep(pause)
                try:
                    self._start_locked()
                    return
                except Exception as exc:
                    error = exc
                    if self._transport is not None:
                        self._transport.close()
                        self._transport = None
            assert error is not None
            raise error
        finally:
            # On every path, a retry that succeeded included: the failed attempt's exception
            # holds this frame through its traceback, and this frame would hold it, pinning
            # the whole call stack (an episode's trajectory, a grader's results) until a
            # full garbage collection.
            error = None

    def _restart_locked(self, why: str | None = None) -> str | None:
        """A fresh shell; returns a note when more than the shell had to be rebuilt.

        ``why`` (a system problem such as missing /dev/null) asks for the backend's hard
        reset first. A shell that will not start after retries gets one too.
        """
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self.restarts += 1
        note = None
        if why is not None:
            note = self._repair_system(why)
        try:
            self._start_with_retries()
            return note
        except Exception as exc:
            if why is not None or self._hard_reset is None:
                raise SessionDiedError(f"the sandbox shell could not be restarted: {exc}") from exc
            first = str(exc)  # the text, not the exception: no frame <-> traceback cycle
        try:
            note = self._repair_system(f"the shell could not be started ({first})")
            self._start_with_retries()
        except Exception as exc:
            raise SessionDiedError(f"the sandbox shell could not be restarted: {exc}") from exc
        return note

    def _repair_system(self, why: str) -> str:
        self.repairs += 1
        if self._hard_reset is not None:
            try:
                return self._hard_reset(why)
            except SandboxError:
                raise
            except Exception as exc:  # a backend error (docker API, OS): one error type out
                raise SessionDiedError(f"the sandbox could not be repaired ({why}): {exc}") from exc
        self._safe(self._kill_all)
        return (
            f"{why}: every process in the sandbox was killed and a fresh sandbox shell "
            "started (system files and /dev restored; the workspace and /tmp were kept)"
        )

    def _repair_health(self, result: ExecResult, health: str, nofile: str) -> ExecResult:
        """Fix what the command broke in the shell or the sandbox, and say so."""
        problems = set(health.split(",")) - {"ok", ""}
        notes: list[str] = []
        if "cwd" in problems:
            notes.append(
                f"the working directory no longer exists; the shell moved to {self.workdir}"
            )
        if "path" in problems:
            notes.append(
                "PATH no longer contained /usr/bin; the starting PATH was appended to it "
                "so commands are found again"
            )
        system = [
            what
            for flag, what in (
                ("dev", "device nodes such as /dev/null are missing"),
                ("sys", "system files the shell needs (/bin/sh, the dynamic loader) are missing"),
            )
            if flag in problems
        ]
        low_fd = nofile.isdigit() and int(nofile) < MIN_NOFILE
        restarted = False
        if system or low_fd:
            why = " and ".join(system) if system else None
            try:
                extra = self._restart_locked(why)
                restarted = True
                if low_fd:
                    notes.append(
                        f"the shell's open-file limit had been lowered to {nofile} (ulimit -n), "
                        f"too few to run commands; a fresh shell was started in {self.workdir} "
                        "(cwd, variables and background jobs were reset)"
                    )
                if extra:
                    notes.append(extra)
            except SandboxError as exc:
                self._dead_reason = f"repairing the sandbox failed ({exc})"
                notes.append(f"{' and '.join(system) or 'the shell is broken'}; {exc}")
        if not notes:
            return result
        note = "; ".join(notes)
        update: dict[str, Any] = {"note": (f"{result.note}; " if result.note else "") + note}
        if restarted:
            update["shell_restarted"] = True
        return result.model_copy(update=update)

    def _run_locked(
        self,
        command: str,
        timeout: float,
        cap: int,
        kill_bytes: int,
        retry: bool = True,
        check: bool = True,
    ) -> ExecResult:
        transport = self._transport
        assert transport is not None
        marker = b"__AG_" + secrets.token_hex(16).encode() + b"__"
        collector = OutputCollector(head=cap // 2, tail=cap - cap // 2)
        started = time.monotonic()
        transport.send(
            PROTOCOL % (marker, marker) + command.encode("utf-8", "surrogateescape") + b"\0"
        )

        keep = len(marker) - 1
        pending = b""
        after: bytes | None = None  # bytes after the marker, once it is seen
        deadline = started + timeout
        timed_out = False
        runaway = False
        killed_at: float | None = None
        eof = False
        while True:
            now = time.monotonic()
            if killed_at is None and (now >= deadline or collector.total > kill_bytes):
                timed_out = now >= deadline
                runaway = not timed_out
                killed_at = now
                self._safe(self._kill_tree, self.shell_pid)
            if killed_at is not None and now - killed_at > 2.0 and after is None:
                break  # the shell itself is stuck: handled below
            wait = (deadline - now) if killed_at is None else 0.2
            chunk = transport.recv(min(max(wait, 0.0), 0.5))
            if chunk is None:
                eof = True
                break
            if not chunk:
                continue
            if after is not None:
                after += chunk
            else:
                data = pending + chunk
                idx = data.find(marker)
                if idx >= 0:
                    collector.feed(data[:idx])
                    after = data[idx + len(marker) :]
                else:
                    safe = max(0, len(data) - keep)
                    collector.feed(data[:safe])
                    pending = data[safe:]
            if after is not None and b"\n" in after:
                break
        if after is None and pending:
            collector.feed(pending)
        duration = time.monotonic() - started
        output = collector.text()
        common: dict[str, Any] = {
            "output": output,
            "truncated": collector.cut > 0,
            "bytes_cut": collector.cut,
            "duration_s": duration,
        }
        if after is not None:
            fields = after.split(b"\n", 1)[0].split()
            at_pid_limit = len(fields) > 1 and fields[1] == b"1"
            limit_hit = len(fields) > 1 and fields[1] == b"2"
            if fields and fields[0] == b"skip" and retry:
                return self._recover_from_pid_limit(command, timeout, cap, kill_bytes)
            try:
                code: int | None = int(fields[0])
            except (ValueError, IndexError):
                code = None
            note = None
            counts = [int(f) if f.isdigit() else 0 for f in fields[3:5]] if len(fields) > 5 else []
            before, after_count = counts or [0, 0]
            leftover = self._leftover(max(before, self.pids_after))
            self.pids_before, self.pids_after = before, after_count
            self.last_leftover = leftover
            if at_pid_limit:
                self._safe(self._kill_all)
                self._dead_reason = "the sandbox hit its process limit (a fork bomb?)"
                note = (
                    "the sandbox reached its process limit after this command (a fork bomb or "
                    "runaway background processes); every process was killed and the next "
                    "command starts a new shell"
                )
            elif timed_out:
                note = (
                    f"the command timed out after {timeout:g}s and its processes were "
                    "killed; the shell is still usable. Run long jobs in the background "
                    "(`cmd > log 2>&1 &`) or with a smaller input."
                )
            elif runaway:
                note = (
                    f"the command was killed after printing more than {kill_bytes} bytes; "
                    "redirect large output to a file instead"
                )
            if limit_hit:
                hit = (
                    "the sandbox reached its process limit during or just before this "
                    "command (forks were refused: a fork bomb or too many processes); few "
                    "processes are left now and the shell is still usable"
                )
                note = f"{note}; {hit}" if note else hit
            if note and (at_pid_limit or limit_hit):
                # at the limit everything was killed; below it the earlier processes live on
                note += left_by_earlier(leftover, killed=at_pid_limit)
            result = ExecResult(exit_code=code, timed_out=timed_out, note=note, **common)
            if check and not at_pid_limit and len(fields) > 2:
                health = fields[2].decode("ascii", "replace")
                nofile = fields[5].decode("ascii", "replace") if len(fields) > 5 else ""
                result = self._repair_health(result, health, nofile)
            return result
        if eof:
            code = transport.exit_code()
            self._dead_reason = f"the shell exited (exit code {code})"
            self._safe(self._kill_all)
            note = f"the shell exited (exit code {code}); the next command starts a new one"
            leftover = self._shell_lost()
            if code == BASH_FORK_FAILED:  # the victim of a sandbox full of earlier processes?
                note += left_by_earlier(leftover)
            return ExecResult(exit_code=code, note=note, **common)
        # Killing the command's processes did not bring the shell back: kill everything.
        self._safe(self._kill_all)
        self._dead_reason = "the previous command hung the shell and it was killed"
        leftover = self._shell_lost()
        return ExecResult(
            exit_code=None,
            timed_out=timed_out,
            note=(
                f"the command {f'timed out after {timeout:g}s' if timed_out else 'produced runaway output'}"
                " and the shell did not recover (it was busy itself, or the sandbox ran out of "
                "processes: a fork bomb?), so every process in the sandbox was killed; "
                "the next command starts a new shell" + left_by_earlier(leftover)
            ),
            **common,
        )

    def _recover_from_pid_limit(
        self, command: str, timeout: float, cap: int, kill_bytes: int
    ) -> ExecResult:
        """The sandbox was full of processes before the command ran: clean up, run it once."""
        self._safe(self._kill_all)
        extra = self._restart_locked()
        result = self._run_locked(command, timeout, cap, kill_bytes, retry=False)
        note = (
            "note: the sandbox was at its process limit (processes left running by an earlier "
            "command, e.g. a fork bomb); every process was killed and a fresh shell started "
            f"in {self.workdir} before this command ran"
        ) + (f"; {extra}" if extra else "")
        return result.model_copy(
            update={
                "shell_restarted": True,
                "note": note + (f"; {result.note}" if result.note else ""),
            }
        )

    def _leftover(self, count: int) -> int:
        """Processes beyond an idle shell's in a count taken between commands (0: unknown)."""
        return max(0, count - self.idle_pids) if self.idle_pids and count else 0

    def _shell_lost(self) -> int:
        """The command ended without its counts (the shell exited or hung): what earlier
        commands had left at the last count, which is all there is to go on; counts reset."""
        self.last_leftover = self._leftover(self.pids_after)
        self.pids_before = self.pids_after = 0
        return self.last_leftover

    @staticmethod
    def _safe(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            pass
