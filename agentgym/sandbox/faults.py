"""Who broke the sandbox: the agent, or the infrastructure under it?

The rule (docs/grading.md): nothing the agent does may end its episode as an
infrastructure error, because trainers mask those episodes out of the loss and an agent
would learn that breaking its sandbox erases a failing episode. What the agent breaks is
repaired (see ``ShellSession``) and, when it cannot be, the episode ends as the agent's
failure and is graded on what is there. Infrastructure errors are only for faults outside
the agent's reach, and each names its cause.
"""

from __future__ import annotations

from agentgym.errors import (
    DockerUnavailableError,
    ImageBuildError,
    ReportUnreadableError,
    SandboxClosedError,
    SandboxGoneError,
    SandboxStartError,
    SessionDiedError,
)

# Raised only when starting a sandbox from a pristine image fails, when the sandbox is
# taken away from outside (container removed, closed by the host), or when a test report
# the runner wrote cannot be read back after retries: never the agent's doing.
INFRASTRUCTURE_ERRORS = (
    DockerUnavailableError,
    SandboxStartError,
    ImageBuildError,
    SandboxGoneError,
    SandboxClosedError,
    ReportUnreadableError,
)
# The sandbox can no longer run anything (after every repair was tried).
UNUSABLE_ERRORS = (SessionDiedError,)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def infrastructure_cause(sandbox: object, exc: BaseException) -> str | None:
    """The cause when ``exc`` is a fault outside the agent's reach, else None.

    Outside its reach: a sandbox that cannot be started from its image (daemon down, image
    missing, host out of disk) or a backend that reports a fault of its own
    (``sandbox.infrastructure_fault()``, e.g. the Docker daemon stopped answering).
    """
    for err in _chain(exc):
        if isinstance(err, INFRASTRUCTURE_ERRORS):
            return f"{type(err).__name__}: {err}"
    probe = getattr(sandbox, "infrastructure_fault", None)
    if callable(probe):
        try:
            fault = probe()
        except Exception as err:  # the probe itself failing is not the agent's doing
            return f"the sandbox backend could not be checked ({type(err).__name__}: {err})"
        if fault:
            return str(fault)
    return None


def sandbox_unusable(exc: BaseException) -> bool:
    """True when ``exc`` means the sandbox can run nothing more (repairs were tried)."""
    return any(isinstance(err, UNUSABLE_ERRORS) for err in _chain(exc))


__all__ = ["INFRASTRUCTURE_ERRORS", "infrastructure_cause", "sandbox_unusable"]
