"""agentgym envs as a service over OpenEnv's protocol (needs ``agentgym[serve]``).

``agentgym serve --env agentgym/BugFix-v0`` runs openenv-core's server around
``AgentGymEnvironment``; ``AgentGymClient`` (an openenv-core ``EnvClient``) or any OpenEnv
client drives it. See docs/scale.md.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgentGymAction",
    "AgentGymClient",
    "AgentGymEnvironment",
    "AgentGymObservation",
    "AgentGymState",
    "EnvSpec",
    "ServeConfig",
    "create_app",
    "serve",
]

_WHERE = {
    "AgentGymAction": "agentgym.serve.models",
    "AgentGymObservation": "agentgym.serve.models",
    "AgentGymState": "agentgym.serve.models",
    "AgentGymEnvironment": "agentgym.serve.environment",
    "EnvSpec": "agentgym.serve.environment",
    "AgentGymClient": "agentgym.serve.client",
    "ServeConfig": "agentgym.serve.app",
    "create_app": "agentgym.serve.app",
    "serve": "agentgym.serve.app",
}


def __getattr__(name: str) -> Any:  # lazy: openenv-core is an optional extra
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
