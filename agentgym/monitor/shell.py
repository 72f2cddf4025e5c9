"""A forgiving bash reader for the monitor: split a command line into simple commands.

This is not a bash parser. It reads what an agent typically sends (lists, pipelines,
subshells, ``$(...)``, backticks, heredocs, ``bash -c '...'``, ``eval``) well enough to see
which programs run and which paths they touch, and it never raises: unbalanced quotes or
parentheses just end the word or the command at the end of the input.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

Access = Literal["read", "write", "delete"]

MAX_DEPTH = 6  # nested bash -c / eval / $(...) levels we look into
MAX_CHARS = 65536  # longer commands are read up to here (the rest is ignored)

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "busybox"})
KEYWORDS = frozenset(
    {"{", "}", "!", "then", "do", "else", "elif", "if", "while", "until", "time", "coproc"}
)
# Programs that run their arguments as another command, and how many option words
# take a value (so ``sudo -u root rm`` unwraps to ``rm``).
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-p", "-h", "-U", "-r", "-t", "-D"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nohup": frozenset(),
    "nice": frozenset({"-n"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "setsid": frozenset(),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "xargs": frozenset({"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"}),
    "watch": frozenset({"-n", "-d"}),
    "strace": frozenset({"-e", "-o", "-p"}),
    "chroot": frozenset(),
    "unshare": frozenset(),
    "runuser": frozenset({"-u", "-g"}),
}
# Wrappers whose first positional argument is not the command (timeout DURATION cmd ...).
WRAPPER_SKIP_POSITIONAL = {"timeout": 1, "chroot": 1, "watch": 0}

DELETERS = frozenset({"rm", "rmdir", "unlink", "shred", "srm"})
MOVERS = frozenset({"mv"})
COPIERS = frozenset({"cp", "install", "rsync", "scp", "ln"})
WRITERS = frozenset({"touch", "truncate", "tee", "mkdir", "chmod", "chown", "chgrp", "chattr"})
# Commands whose first positional argument is a mode/owner/pattern, not a path.
FIRST_IS_NOT_PATH = frozenset(
    {"chmod", "chown", "chgrp", "grep", "egrep", "fgrep", "rg", "ag", "ack", "awk", "sed"}
)
FIRST_IS_NOT_PATH |= frozenset({"perl", "gawk", "mawk", "truncate", "chattr"})
# Commands whose arguments are not paths at all.
NO_PATHS = frozenset(
    {
        "echo",
        "printf",
        "export",
        "set",
        "unset",
        "alias",
        "which",
        "type",
        "kill",
        "pkill",
        "killall",
        "sleep",
        "true",
        "false",
        "exit",
        "return",
        "read",
        "local",
        "declare",
        "source",
        ".",
        "bash",
        "sh",
        "zsh",
        "dash",
        "eval",
        "su",
        "sudo",
        "doas",
    }
)


@dataclass
class SimpleCommand:
    """One simple command: its words (quotes removed), redirections and heredoc text."""

    argv: list[str] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (op, target)
    stdin_text: str = ""  # heredoc / here-string bodies
    pipe_to_next: bool = False  # `cmd | next`
    _pending_heredocs: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Unit:
    """What the monitor matches rules against: a command (or pipeline) and its paths."""

    text: str  # normalized text: program basenames, quotes removed
    accesses: tuple[tuple[Access, str], ...]  # (access, absolute normalized path)
    writes_text: str = ""  # text this command may write into files (heredoc, echo args)


@dataclass(frozen=True)
class Parsed:
    units: tuple[Unit, ...]


# --- lexing --------------------------------------------------------------------------


def _match_paren(s: str, i: int) -> int:
    """Index just past the ``)`` closing the ``(`` at ``s[i-1]``; ``len(s)`` if unbalanced."""
    depth = 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = s.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == '"':
            i = _skip_dquote(s, i + 1)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _skip_dquote(s: str, i: int) -> int:
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        i += 1
    return n


def _echo_value(inner: str) -> str | None:
    """Best-effort value of ``$(echo rm)`` / ``$(which rm)`` / ``$(printf rm)``."""
    words = inner.strip().split()
    if len(words) >= 2 and words[0] in {"echo", "printf", "which", "command", "type"}:
        args = [w for w in words[1:] if not w.startswith("-")]
        if args:
            return " ".join(a.strip("'\"") for a in args)
    return None


class _Lexer:
    def __init__(self, src: str, depth: int, subs: list[str]) -> None:
        self.s = src
        self.depth = depth
        self.subs = subs  # inner texts of $(...), `...`, <(...) to parse separately
        self.commands: list[SimpleCommand] = []

    def run(self) -> list[SimpleCommand]:
        s, n = self.s, len(self.s)
        cmd = SimpleCommand()
        word: list[str] = []
        in_word = False
        redirect_op: str | None = None
        heredoc_next = False
        i = 0

        def end_word() -> None:
            nonlocal word, in_word, redirect_op, heredoc_next
            if not in_word:
                return
            w = "".join(word)
            word, in_word = [], False
            if heredoc_next:
                heredoc_next = False
                cmd._pending_heredocs.append((w, False))
            elif redirect_op is not None:
                if redirect_op == "<<<":
                    cmd.stdin_text += w + "\n"
                elif not (redirect_op.endswith("&") and (w.isdigit() or w == "-")):
                    cmd.redirects.append((redirect_op, w))
                redirect_op = None
            else:
                cmd.argv.append(w)

        def end_command(pipe: bool = False) -> None:
            nonlocal cmd
            end_word()
            if cmd.argv or cmd.redirects or cmd.stdin_text:
                cmd.pipe_to_next = pipe
                self.commands.append(cmd)
            cmd = SimpleCommand()

        while i < n:
            c = s[i]
            if c in " \t\r":
                end_word()
                i += 1
            elif c == "\n":
                end_command()
                i = self._read_heredocs(i + 1)
            elif c == "\\":
                if i + 1 < n and s[i + 1] == "\n":
                    i += 2
                    continue
                if i + 1 < n:
                    word.append(s[i + 1])
                in_word = True
                i += 2
            elif c == "'":
                j = s.find("'", i + 1)
                j = n if j < 0 else j
                word.append(s[i + 1 : j])
                in_word = True
                i = j + 1
            elif c == '"':
                i = self._read_dquote(i + 1, word)
                in_word = True
            elif c == "`":
                j = s.find("`", i + 1)
                j = n if j < 0 else j
                inner = s[i + 1 : j]
                self.subs.append(inner)
                word.append(_echo_value(inner) or "`" + inner + "`")
                in_word = True
                i = j + 1
            elif c == "$" and i + 1 < n and s[i + 1] == "(":
                j = _match_paren(s, i + 2)
                inner = s[i + 2 : j - 1] if j <= n and s[j - 1 : j] == ")" else s[i + 2 : j]
                if not inner.startswith("("):  # $(( arithmetic ))
                    self.subs.append(inner)
                    word.append(_echo_value(inner) or "$(" + inner + ")")
                else:
                    word.append("$(" + inner + ")")
                in_word = True
                i = j
            elif c == "#" and not in_word:
                j = s.find("\n", i)
                i = n if j < 0 else j
            elif c in ";&|":
                two = s[i : i + 2]
                if c == "&" and s[i + 1 : i + 2] == ">":  # &> and &>> redirect
                    end_word()
                    op = "&>>" if s[i + 2 : i + 3] == ">" else "&>"
                    redirect_op = op
                    i += len(op)
                    continue
                if two in ("&&", "||", ";;", "|&"):
                    end_command(pipe=two == "|&")
                    i += 2
                else:
                    end_command(pipe=c == "|")
                    i += 1
            elif c in "()":
                end_command()
                i += 1
            elif c in "<>":
                # an all-digit word right before is an fd number, not an argument
                if in_word and "".join(word).isdigit():
                    word, in_word = [], False
                else:
                    end_word()
                if s.startswith("<<<", i):
                    redirect_op, i = "<<<", i + 3
                elif s.startswith("<<", i):
                    heredoc_next = True
                    i += 3 if s.startswith("<<-", i) else 2
                    while i < n and s[i] in " \t":
                        i += 1
                elif s[i + 1 : i + 2] == "(":  # process substitution <(cmd) / >(cmd)
                    j = _match_paren(s, i + 2)
                    inner = s[i + 2 : j - 1]
                    self.subs.append(inner)
                    word.append(f"{c}({inner})")
                    in_word = True
                    i = j
                else:
                    op = c
                    i += 1
                    if i < n and s[i] in ">&|":
                        op += s[i]
                        i += 1
                    redirect_op = op
            else:
                word.append(c)
                in_word = True
                i += 1
        end_command()
        return self.commands

    def _read_dquote(self, i: int, word: list[str]) -> int:
        s, n = self.s, len(self.s)
        while i < n:
            c = s[i]
            if c == "\\" and i + 1 < n:
                nxt = s[i + 1]
                word.append(nxt if nxt in '"\\$`\n' else c + nxt)
                i += 2
            elif c == '"':
                return i + 1
            elif c == "$" and s[i + 1 : i + 2] == "(":
                j = _match_paren(s, i + 2)
                inner = s[i + 2 : j - 1]
                self.subs.append(inner)
                word.append(_echo_value(inner) or "$(" + inner + ")")
                i = j
            elif c == "`":
                j = s.find("`", i + 1)
                j = n if j < 0 else j
                inner = s[i + 1 : j]
                self.subs.append(inner)
                word.append(_echo_value(inner) or "`" + inner + "`")
                i = j + 1
            else:
                word.append(c)
                i += 1
        return n

    def _read_heredocs(self, i: int) -> int:
        """After a newline: consume the bodies of heredocs opened on the previous line."""
        if not self.commands:
            return i
        # heredocs may belong to any command of the previous line; take them all
        owners = [c for c in self.commands[-8:] if c._pending_heredocs]
        s, n = self.s, len(self.s)
        for owner in owners:
            pending, owner._pending_heredocs = owner._pending_heredocs, []
            for delim, _ in pending:
                body: list[str] = []
                while i < n:
                    j = s.find("\n", i)
                    line = s[i:] if j < 0 else s[i:j]
                    i = n if j < 0 else j + 1
                    if line.strip() == delim:
                        break
                    body.append(line)
                owner.stdin_text += "\n".join(body) + "\n"
        return i


# --- normalising ----------------------------------------------------------------------


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1] if "/" in word else word


def _strip_prefix(argv: list[str]) -> list[str]:
    """Drop keywords, ``VAR=value`` assignments and wrappers; basename the program."""
    k = 0
    n = len(argv)
    while k < n:
        w = argv[k]
        if w in KEYWORDS:
            k += 1
            continue
        if "=" in w and not w.startswith(("-", "=")) and w.split("=", 1)[0].isidentifier():
            k += 1
            continue
        break
    out = argv[k:]
    if out:
        out = [_basename(out[0]), *out[1:]]
    return out


def _unwrap(argv: list[str]) -> list[str] | None:
    """``sudo -u x rm -rf /`` -> ``rm -rf /``; None when argv is not a wrapper call."""
    if not argv or argv[0] not in WRAPPERS:
        return None
    takes_value = WRAPPERS[argv[0]]
    skip_pos = WRAPPER_SKIP_POSITIONAL.get(argv[0], 0)
    k = 1
    while k < len(argv):
        w = argv[k]
        if w == "--":
            k += 1
            break
        if w.startswith("-") and len(w) > 1:
            k += 2 if w in takes_value else 1
            continue
        if argv[0] == "env" and "=" in w:
            k += 1
            continue
        if skip_pos:
            skip_pos -= 1
            k += 1
            continue
        break
    rest = _strip_prefix(argv[k:])
    return rest or None


def _shell_script(argv: list[str]) -> str | None:
    """The script of ``bash -c '...'``, ``su -c '...'``, ``eval ...``, if any."""
    prog = argv[0]
    if prog == "eval":
        return " ".join(argv[1:])
    if prog in SHELLS or prog == "su":
        args = argv[1:]
        if prog == "busybox" and args and args[0] in SHELLS:
            args = args[1:]
        for k, w in enumerate(args):
            if w.startswith("-") and not w.startswith("--") and "c" in w[1:] and k + 1 < len(args):
                return args[k + 1]
            if w == "--command" and k + 1 < len(args):
                return args[k + 1]
    return None


def _find_exec(argv: list[str]) -> list[str] | None:
    """``find /x -exec rm -rf {} \\;`` -> ``rm -rf /x`` (``{}`` stands for the find root)."""
    if not argv or argv[0] != "find":
        return None
    root = next((w for w in argv[1:] if not w.startswith("-")), ".")
    for k, w in enumerate(argv):
        if w in ("-exec", "-execdir", "-ok", "-okdir"):
            end = k + 1
            while end < len(argv) and argv[end] not in (";", "+", "\\;"):
                end += 1
            inner = [root if a == "{}" else a for a in argv[k + 1 : end]]
            return _strip_prefix(inner) or None
    return None


def _positional(args: list[str]) -> list[str]:
    out: list[str] = []
    only_pos = False
    for w in args:
        if only_pos:
            out.append(w)
        elif w == "--":
            only_pos = True
        elif not w.startswith("-") or w == "-":
            out.append(w)
    return out


def _resolve(path: str, cwd: str, home: str) -> str:
    if path.startswith("~"):
        path = home + path[1:]
    if not path.startswith("/"):
        path = cwd.rstrip("/") + "/" + path
    norm = posixpath.normpath(path)
    return "/" if norm.startswith("//") else norm


def _accesses(argv: list[str], cmd: SimpleCommand, cwd: str, home: str) -> list[tuple[str, str]]:
    """Which paths this command reads, writes or deletes (best effort, by program)."""
    out: list[tuple[str, str]] = []
    for op, target in cmd.redirects:
        if target and not target.startswith("&") and target != "/dev/null":
            out.append(("read" if op in ("<", "<>") else "write", target))
    if not argv:
        return [(a, _resolve(p, cwd, home)) for a, p in out]
    prog, args = argv[0], argv[1:]
    if prog == "git" and args:
        sub, rest = args[0], args[1:]
        pos = _positional(rest)
        if sub == "rm":
            out += [("delete", p) for p in pos]
        elif sub == "mv" and len(pos) >= 2:
            out += [("delete", p) for p in pos[:-1]] + [("write", pos[-1])]
        elif sub in ("checkout", "restore") and "--" in rest:
            out += [("write", p) for p in rest[rest.index("--") + 1 :]]
        elif sub in ("show", "diff", "log", "blame", "cat-file", "ls-files", "grep"):
            out += [("read", p) for p in pos]
        return [(a, _resolve(p, cwd, home)) for a, p in out]
    pos = _positional(args)
    if prog in FIRST_IS_NOT_PATH and pos and not any(a in ("-e", "-f") for a in args):
        pos = pos[1:]
    if prog in ("sed", "perl") and any(a.startswith("-i") or a == "--in-place" for a in args):
        out += [("write", p) for p in pos]
    elif prog in DELETERS:
        out += [("delete", p) for p in pos]
    elif prog in MOVERS and len(pos) >= 2:
        out += [("delete", p) for p in pos[:-1]] + [("write", pos[-1])]
    elif prog in COPIERS and len(pos) >= 2:
        out += [("read", p) for p in pos[:-1]] + [("write", pos[-1])]
    elif prog in WRITERS:
        out += [("write", p) for p in pos]
    elif prog == "dd":
        for a in args:
            if a.startswith("of="):
                out.append(("write", a[3:]))
            elif a.startswith("if="):
                out.append(("read", a[3:]))
    elif prog == "find":
        roots = []
        for a in args:
            if a.startswith("-") or a in ("(", "!", ")"):
                break
            roots.append(a)
        mode: Access = "delete" if "-delete" in args else "read"
        out += [(mode, p) for p in roots or ["."]]
    elif prog not in NO_PATHS and prog not in WRAPPERS:
        out += [("read", p) for p in pos if p and p != "-" and not p.startswith("$")]
    return [(a, _resolve(p, cwd, home)) for a, p in out if p]


def _written_text(argv: list[str], cmd: SimpleCommand) -> str:
    """Text that may end up in a file: redirected output (echo, cat <<EOF), tee, patch,
    and the scripts of in-place editors (sed -i, perl -i)."""
    if any(op.startswith((">", "&>")) for op, _ in cmd.redirects):
        return _text(argv, cmd)
    if not argv:
        return ""
    prog, args = argv[0], argv[1:]
    if prog in ("tee", "patch") or (
        prog in ("sed", "perl") and any(a.startswith("-i") or a == "--in-place" for a in args)
    ):
        return _text(argv, cmd)
    return ""


def parse(command: str, workdir: str = "/workspace", home: str = "/root") -> Parsed:
    """Split a bash command line into matchable units (cached: agents repeat commands)."""
    return _parse_cached(command[:MAX_CHARS], workdir, home)


# Agents repeat commands within an episode and across them (ls, cat, pytest); a command
# holding an episode's nonce or a heredoc is seen once. 1024 entries (~0.5-4 KB each) cap
# what a long run keeps; a miss costs ~15 us for a short command.
@lru_cache(maxsize=1024)
def _parse_cached(command: str, workdir: str, home: str) -> Parsed:
    units: list[Unit] = []
    _parse_into(command, workdir, home, 0, units)
    return Parsed(tuple(units))


def _parse_into(src: str, workdir: str, home: str, depth: int, units: list[Unit]) -> None:
    subs: list[str] = []
    commands = _Lexer(src, depth, subs).run()
    cwd = workdir
    pipeline: list[Unit] = []
    for cmd in commands:
        argv = _strip_prefix(cmd.argv)
        variants = [argv]
        inner = _unwrap(argv)
        while inner is not None and len(variants) < 4:
            variants.append(inner)
            inner = _unwrap(inner)
        exec_cmd = _find_exec(argv)
        if exec_cmd:
            variants.append(exec_cmd)
        for k, av in enumerate(variants):
            if av and av[0] == "cd":
                target = av[1] if len(av) > 1 else home
                if target != "-":
                    cwd = _resolve(target, cwd, home)
                continue
            # the stdin of a shell is a script; of anything else, data
            if av and av[0] in SHELLS and cmd.stdin_text and depth < MAX_DEPTH:
                _parse_into(cmd.stdin_text, cwd, home, depth + 1, units)
            script = _shell_script(av) if av else None
            if script is not None and depth < MAX_DEPTH:
                _parse_into(script, cwd, home, depth + 1, units)
            text = " ".join(av) if k else _text(av, cmd)
            accesses = tuple(_accesses(av, cmd, cwd, home))  # type: ignore[misc]
            if not text and not accesses:
                continue
            unit = Unit(text=text, accesses=accesses, writes_text=_written_text(av, cmd))
            units.append(unit)
            if k == 0:
                pipeline.append(unit)
        if not cmd.pipe_to_next:
            if len(pipeline) > 1:
                units.append(
                    Unit(
                        text=" | ".join(u.text for u in pipeline),
                        accesses=tuple(a for u in pipeline for a in u.accesses),
                    )
                )
            pipeline = []
    if depth < MAX_DEPTH:
        for sub in subs:
            _parse_into(sub, cwd, home, depth + 1, units)


def _text(argv: list[str], cmd: SimpleCommand) -> str:
    parts = list(argv)
    for op, target in cmd.redirects:
        parts.append(f"{op} {target}")
    out = " ".join(parts)
    if cmd.stdin_text:
        out += "\n" + cmd.stdin_text
    return out
