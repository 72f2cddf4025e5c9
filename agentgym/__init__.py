"""agentgym: train and test LLM coding agents.

Gymnasium-style coding environments in Docker sandboxes, seeded perturbations of every
surface an agent meets, robustness benchmarks and a GRPO-family RL trainer.
"""

from agentgym.errors import AgentGymError
from agentgym.types import (
    ExecResult,
    Message,
    Observation,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
)

__version__ = "0.1.0"

__all__ = [
    "AgentGymError",
    "ExecResult",
    "Message",
    "Observation",
    "Task",
    "ToolCall",
    "ToolSpec",
    "Trajectory",
    "__version__",
]
