"""Test fixtures: the realistic samples now live in ``agentgym.perturb.samples``."""

from agentgym.perturb.samples import (  # noqa: F401
    OUTPUT_JSON,
    OUTPUT_LISTING,
    OUTPUT_LONG,
    OUTPUT_TRACEBACK,
    OUTPUTS,
    SYSTEM,
    TOOLS,
    USER,
)
