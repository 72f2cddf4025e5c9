"""The verifiers (0.4.0) taskset plugin for agentgym: ``--env.taskset.id agentgym-verifiers``.

verifiers imports a taskset id as a top-level module exporting its ``Taskset`` (and ``Env``)
subclass via ``__all__``; the code lives in :mod:`agentgym.integrations.verifiers`.
"""

from agentgym.integrations.verifiers import AgentGymTaskset, AgentGymVfEnv

__all__ = ["AgentGymTaskset", "AgentGymVfEnv"]
