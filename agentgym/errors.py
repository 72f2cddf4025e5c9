"""One exception hierarchy for agentgym.

Every error says what went wrong and, where we can tell, what to do next.
Catch :class:`AgentGymError` to catch everything the library raises on purpose.
"""

from __future__ import annotations


class AgentGymError(Exception):
    """Base class of every error agentgym raises on purpose."""


class ConfigError(AgentGymError, ValueError):
    """A configuration value is missing, malformed or out of range."""


# --- sandboxes -------------------------------------------------------------


class SandboxError(AgentGymError):
    """A sandbox could not be created, used or closed."""


class DockerUnavailableError(SandboxError):
    """No Docker daemon answers. Start one (`dockerd &`) or use the local backend."""


class SandboxStartError(SandboxError):
    """The sandbox (container / bwrap process) did not start."""


class SandboxClosedError(SandboxError):
    """The sandbox was used after close()."""


class SandboxGoneError(SandboxError):
    """The sandbox's container was removed or stopped by something outside agentgym."""


class SessionDiedError(SandboxError):
    """The sandbox's shell died and could not be restarted."""


class CommandTimeoutError(SandboxError):
    """A command ran past its timeout (raised only where a caller asks for it)."""


class ImageBuildError(SandboxError):
    """A base or task image could not be built."""


# --- tools -----------------------------------------------------------------


class ToolError(AgentGymError):
    """A tool call failed; the message is shown to the agent as an error observation."""


class UnknownToolError(ToolError):
    """The agent called a tool that does not exist in this episode."""


class ToolArgumentError(ToolError):
    """The tool's arguments do not match its JSON schema."""


# --- formats ---------------------------------------------------------------


class ParseError(AgentGymError, ValueError):
    """A model completion could not be parsed (malformed tool call, bad JSON, ...).

    The message is written for the agent: it says what was wrong and how to fix the call.
    """

    def __init__(self, message: str, *, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class ChatFormatError(AgentGymError, ValueError):
    """A conversation cannot be rendered in a chat format (bad role order, unknown family)."""


class TaskFormatError(AgentGymError, ValueError):
    """A task folder or record is malformed; the message names the file and field."""


class TaskFormatWarning(UserWarning):
    """A task loads, but part of it is not used as written (a key of a newer Harbor schema
    that agentgym keeps but does not act on, a limit this machine cannot enforce, ...)."""


class GradingError(AgentGymError):
    """Grading failed for an infrastructure reason (not because the tests failed)."""


class ReportUnreadableError(GradingError):
    """The test runner wrote its report, but the grader could not read it back."""


class PerturbationError(AgentGymError, ValueError):
    """A perturbation recipe or transform is invalid."""
