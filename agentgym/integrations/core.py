"""What every trainer adapter shares: episode specs, one env session, token-in/token-out turns.

Nothing here re-implements an environment. A :class:`Session` holds one registered env
(``gymnasium.make(env_id)``) behind an optional :class:`~agentgym.perturb.env.PerturbedEnv`
and runs episodes through the public ``reset``/``step`` API; :class:`TokenTurns` keeps the
token ids of an episode the way ``agentgym.chat.tokenize`` builds them (the ids the policy
generated kept verbatim, only new turns rendered and encoded, assistant mask 1 on generated
ids), so every adapter that tokenizes does it with the episode's own chat format.
"""

from __future__ import annotations

import atexit
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import AgentGymError, ConfigError

# Faults outside the agent's reach while starting or running an episode: the sandbox or the
# daemon failed. Trainers mask these episodes instead of scoring them 0.
INFRA_EXCEPTIONS: tuple[type[BaseException], ...] = (AgentGymError, OSError)


class EpisodeSpec(BaseModel):
    """One dataset row as agentgym reads it: which env and task, under which perturbation.

    ``task_id`` None samples a task from ``seed``; ``recipe`` is a recipe name in
    ``perturbations/`` (``light``, ``heavy``, ``scaffold-shift``, ...) or a path to one;
    ``seed`` fixes the task choice (when no task id is given) and the perturbation sample.
    """

    model_config = ConfigDict(extra="forbid")

    env_id: str = "agentgym/BugFix-v0"
    task_id: str | None = None
    recipe: str | None = None
    seed: int = 0
    env_kwargs: dict[str, Any] = Field(default_factory=dict)

    def to_prompt(self) -> str:
        """The spec as one JSON line (a dataset ``prompt`` column TRL hands back verbatim)."""
        return self.model_dump_json(exclude_defaults=True)


def parse_spec(row: Any, default_env_id: str | None = None) -> EpisodeSpec:
    """An :class:`EpisodeSpec` from a dict (dataset row: extra columns ignored), a JSON string
    or a spec. A JSON string that is not a spec raises ``ConfigError`` naming the fields."""
    if isinstance(row, EpisodeSpec):
        return row
    if isinstance(row, str):
        try:
            row = json.loads(row)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"expected an agentgym episode spec as JSON (e.g. {EpisodeSpec(task_id='x').to_prompt()}), "
                f"got {row[:120]!r}: {exc}"
            ) from exc
    if not isinstance(row, dict):
        raise ConfigError(f"an episode spec is a dict or a JSON string, not {type(row).__name__}")
    fields = {k: row[k] for k in EpisodeSpec.model_fields if k in row and row[k] is not None}
    if "seed" in fields and hasattr(fields["seed"], "item"):  # numpy / torch scalars
        fields["seed"] = fields["seed"].item()
    if default_env_id is not None:
        fields.setdefault("env_id", default_env_id)
    try:
        return EpisodeSpec(**fields)
    except ValueError as exc:
        raise ConfigError(f"bad agentgym episode spec {row!r}: {exc}") from exc


_RECIPES: dict[str, Any] = {}
_RECIPES_LOCK = threading.Lock()


def load_recipe(name: str | None) -> Any:
    """A recipe by name or path (cached), or None for a clean episode."""
    if not name or name == "clean":
        return None
    with _RECIPES_LOCK:
        if name not in _RECIPES:
            from agentgym.rollout.envs import load_recipe_by_name

            _RECIPES[name] = load_recipe_by_name(name)
        return _RECIPES[name]


def is_chat_env(env: gym.Env) -> bool:
    """True for envs whose conversation agentgym renders and parses (``CodingEnv`` and kin)."""
    core = env.unwrapped
    return all(hasattr(core, a) for a in ("fmt", "tool_list", "messages", "trajectory"))


@dataclass
class Outcome:
    """How one episode ended, in the terms every adapter reports."""

    reward: float = 0.0
    done: bool = False
    infrastructure_error: bool = False
    error: str | None = None
    reward_breakdown: dict[str, Any] = field(default_factory=dict)
    monitor_flags: list[dict[str, Any]] = field(default_factory=list)
    perturbations: list[dict[str, Any]] = field(default_factory=list)
    task_id: str | None = None
    turns: int = 0

    def metadata(self) -> dict[str, Any]:
        """JSON-safe summary (SkyRL metadata, verl extra fields, TRL logs)."""
        return {
            "task_id": self.task_id,
            "reward": self.reward,
            "infrastructure_error": self.infrastructure_error,
            "error": self.error,
            "reward_breakdown": self.reward_breakdown,
            "monitor_flags": self.monitor_flags,
            "perturbations": self.perturbations,
            "turns": self.turns,
        }


class Session:
    """One agentgym env, reused episode after episode (its tasks and warm sandbox pool kept).

    ``start(spec)`` resets it for one episode (recipe + seed applied), ``step(action)`` runs a
    turn, ``end()`` grades an episode the trainer stopped early, ``close()`` releases the
    sandbox. Every session is closed at interpreter exit too (``atexit``), so a crashed or
    interrupted trainer leaves no sandbox behind; containers also carry owner labels that
    ``agentgym sandbox gc`` reaps after a SIGKILL.
    """

    def __init__(self, env_id: str, **env_kwargs: Any) -> None:
        import agentgym.env  # noqa: F401  (registers the ids)

        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs)
        self.base: gym.Env = gym.make(env_id, **env_kwargs).unwrapped
        self.chat = is_chat_env(self.base)
        self._perturbed: Any = None
        self.env: gym.Env = self.base
        self.outcome = Outcome()
        self.info: dict[str, Any] = {}
        self.closed = False
        _live_sessions.add(self)

    # -- one episode ------------------------------------------------------------------
    def start(self, spec: EpisodeSpec) -> tuple[Any, dict[str, Any]]:
        """Reset for ``spec``: ``(observation, info)`` exactly as the env returns them."""
        if self.closed:
            raise AgentGymError("this agentgym session is closed")
        recipe = load_recipe(spec.recipe)
        if recipe is not None and not self.chat:
            raise ConfigError(
                f"{self.env_id} is a plain text env; perturbation recipes apply to agentgym chat "
                f"envs (BugFix-v0, Harbor-v0, ...), not {spec.recipe!r} here"
            )
        if recipe is not None:
            if self._perturbed is None:
                from agentgym.perturb.env import PerturbedEnv

                self._perturbed = PerturbedEnv(self.base, recipe)
            self._perturbed.recipe = recipe
            self.env = self._perturbed
        elif self._perturbed is not None:
            # Leave the wrapper's state installed on the env no longer: a clean episode.
            self._perturbed.recipe = load_recipe_clean()
            self.env = self._perturbed
        options = {"task_id": spec.task_id} if spec.task_id is not None and self.chat else None
        if spec.task_id is not None and not self.chat:
            options = {"value": spec.task_id}  # the toy env's task is the value to submit
        self.outcome = Outcome(task_id=spec.task_id)
        obs, info = self.env.reset(seed=spec.seed, options=options)
        self.info = info
        self.outcome.task_id = info.get("task_id", spec.task_id)
        self.outcome.perturbations = list(info.get("perturbations") or [])
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """One turn through the env; records the outcome when the episode ends."""
        self.outcome.turns += 1
        try:
            obs, reward, terminated, truncated, info = self.env.step(action)
        except INFRA_EXCEPTIONS as exc:
            self._fail(exc)
            return ([] if self.chat else ""), 0.0, False, True, {"infrastructure_error": True}
        if info.get("error") and not self.chat:
            self.outcome.infrastructure_error = True  # the toy env's simulated fault
            self.outcome.error = str(info["error"])
        if info.get("infrastructure_error"):
            self.outcome.infrastructure_error = True
            self.outcome.error = self.outcome.error or _grade_error(info)
        if terminated or truncated:
            self._record(float(reward), info)
        return obs, reward, terminated, truncated, info

    def end(self, reason: str = "stopped by the trainer") -> Outcome:
        """Finish the episode if it is still running (graded as a truncation) and return it."""
        if self.outcome.done:
            return self.outcome
        core = self.base
        if self.chat and hasattr(core, "end_episode") and not getattr(core, "done", True):
            try:
                reward, info = core.end_episode(reason)
            except INFRA_EXCEPTIONS as exc:
                self._fail(exc)
                return self.outcome
            self._record(reward, info)
        else:
            self.outcome.done = True
        return self.outcome

    def fail(self, exc: BaseException) -> Outcome:
        """Mark the episode an infrastructure fault (the trainer masks it)."""
        self._fail(exc)
        return self.outcome

    def _fail(self, exc: BaseException) -> None:
        self.outcome.infrastructure_error = True
        self.outcome.error = f"{type(exc).__name__}: {exc}"
        self.outcome.done = True

    def _record(self, reward: float, info: dict[str, Any]) -> None:
        out = self.outcome
        out.done = True
        out.reward = reward
        if info.get("infrastructure_error"):
            out.infrastructure_error = True
            out.error = out.error or _grade_error(info)
        out.reward_breakdown = dict(info.get("reward_breakdown") or {})
        traj = getattr(self.base, "trajectory", None)
        if traj is not None:
            out.monitor_flags = list(traj.monitor_flags)
        if not self.chat:
            out.reward_breakdown = {"success": bool(info.get("success"))}

    # -- what the model sees ----------------------------------------------------------
    @property
    def fmt(self) -> Any:
        """The episode's chat format (switched and option-bound under a recipe)."""
        return getattr(self.base, "fmt", None)

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tool definitions (OpenAI shape) as the agent sees them this episode."""
        return list(self.info.get("tools") or [])

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far (OpenAI dicts), as the agent sees it."""
        msgs = getattr(self.base, "messages", None)
        return [m.to_openai() for m in msgs] if msgs is not None else []

    def close(self) -> None:
        """Release the sandbox and the env's pool (idempotent)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.env.close()
        finally:
            if self.env is not self.base:
                self.base.close()


def load_recipe_clean() -> Any:
    from agentgym.perturb.base import Compose

    return Compose([])


def _grade_error(info: dict[str, Any]) -> str:
    grade = info.get("grade") or {}
    return str(grade.get("error") or info.get("truncated_by") or "infrastructure error")


_live_sessions: weakref.WeakSet[Session] = weakref.WeakSet()


@atexit.register
def close_all_sessions() -> None:
    """Close every session still open (interpreter exit, a crashed trainer)."""
    for session in list(_live_sessions):
        try:
            session.close()
        except Exception:  # exit path: one stuck sandbox must not keep the rest open
            pass


# --- token-in/token-out -----------------------------------------------------------------


def encode(tokenizer: Any, text: str) -> list[int]:
    """Ids of ``text`` without BOS/EOS, for a ``tokenizers.Tokenizer`` or an HF tokenizer."""
    from agentgym.chat.tokenize import encode as _encode

    return _encode(tokenizer, text)


def decode(tokenizer: Any, ids: list[int]) -> str:
    """Text of ``ids`` with special tokens kept (the chat format's parser reads them)."""
    try:
        return str(tokenizer.decode(ids, skip_special_tokens=False))
    except TypeError:  # ``tokenizers.Tokenizer.decode`` without the keyword
        return str(tokenizer.decode(ids))


def stop_token_ids(fmt: Any, tokenizer: Any) -> list[int]:
    """Ids that end an assistant turn in ``fmt`` (end of turn, stop strings, EOS)."""
    ids: list[int] = []
    for text in (fmt.end_of_turn, *fmt.stop_strings, fmt.eos_token):
        if text:
            got = encode(tokenizer, text)
            if len(got) == 1 and got[0] not in ids:
                ids.append(got[0])
    if not ids:
        raise ConfigError(
            f"the tokenizer has no single token for any stop string of chat format {fmt.name!r} "
            f"({', '.join(fmt.stop_strings)}): use the model's own tokenizer, or choose the "
            "env's chat_format to match the model"
        )
    return ids


class TokenTurns:
    """One episode's token stream: prompt ids, then per turn the generated ids (mask 1, with
    their log-probs) and the env's answer (mask 0).

    Chat envs go through ``agentgym.chat.tokenize`` with the episode's format (a recipe's
    chat-template options or family switch included): the generated ids are kept verbatim
    and only the new turns are rendered and encoded. The toy text env uses its own format.
    """

    def __init__(self, session: Session, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.prompt_ids: list[int] = []
        self.completion_ids: list[int] = []
        self.mask: list[int] = []
        self.logprobs: list[float] = []
        self._tok: Any = None
        self._seen = 0
        self._pending: list[int] = []
        self.stop_ids: list[int] = []

    def start(self, obs: Any, info: dict[str, Any]) -> list[int]:
        """Prompt ids of the episode's opening."""
        if self.session.chat:
            from agentgym.chat import tokenize

            fmt = self.session.fmt
            self._tok = tokenize(
                fmt, self.tokenizer, obs, info.get("tools"), add_generation_prompt=True
            )
            self._seen = len(obs)
            self.stop_ids = stop_token_ids(fmt, self.tokenizer)
            self.prompt_ids = list(self._tok.ids)
        else:
            from agentgym.env.toolcall import ToyChatFormat

            fmt = ToyChatFormat()
            self.prompt_ids = encode(self.tokenizer, fmt.render_first_turn(str(obs)))
            end = encode(self.tokenizer, fmt.end)
            self.stop_ids = end if len(end) == 1 else []
        return list(self.prompt_ids)

    @property
    def context(self) -> list[int]:
        """Everything so far: what the policy conditions its next turn on."""
        return self.prompt_ids + self.completion_ids

    def add_generation(
        self, ids: list[int], logprobs: list[float] | None = None, finished: bool = True
    ) -> str:
        """Record one generated turn; returns its text for ``env.step``."""
        ids = list(ids)
        lps = list(logprobs) if logprobs is not None else [0.0] * len(ids)
        if len(lps) != len(ids):
            raise ConfigError(f"{len(lps)} log-probs for {len(ids)} generated tokens")
        text = decode(self.tokenizer, ids)
        mask = [1] * len(ids)
        fmt = self.session.fmt
        if self.session.chat and fmt is not None:
            if not fmt.end_of_turn and ids and ids[-1] in self.stop_ids:
                # GLM-style: the stop token is the next turn's header, rendered with that turn.
                ids, lps, mask = ids[:-1], lps[:-1], mask[:-1]
            elif not finished and fmt.end_of_turn:
                # Cut by the token budget: close the turn as the template would, untrained.
                close = encode(self.tokenizer, fmt.end_of_turn)
                ids, lps, mask = ids + close, lps + [0.0] * len(close), mask + [0] * len(close)
        self._pending = ids
        self.completion_ids += ids
        self.mask += mask
        self.logprobs += lps
        return text

    def add_observation(self, obs: Any) -> list[int]:
        """Append the env's answer to the last turn (mask 0); returns its ids."""
        if self.session.chat:
            assistant = self._assistant_message()
            before = len(self._tok.ids) + len(self._pending)
            self._tok.append([assistant, *obs], generated_ids=self._pending)
            self._seen += 1 + len(obs)
            new = list(self._tok.ids[before:])
        else:
            from agentgym.env.toolcall import ToyChatFormat

            new = encode(self.tokenizer, ToyChatFormat().render_tool_turn(str(obs)))
        self._pending = []
        self.completion_ids += new
        self.mask += [0] * len(new)
        self.logprobs += [0.0] * len(new)
        return new

    def _assistant_message(self) -> Any:
        from agentgym.types import Message

        messages = getattr(self.session.base, "messages", None)
        if messages is not None and len(messages) > self._seen:
            msg = messages[self._seen]
            if getattr(msg, "role", None) == "assistant":
                return msg
        return Message(role="assistant", content=decode(self.tokenizer, self._pending))


__all__ = [
    "INFRA_EXCEPTIONS",
    "EpisodeSpec",
    "Outcome",
    "Session",
    "TokenTurns",
    "close_all_sessions",
    "decode",
    "encode",
    "is_chat_env",
    "load_recipe",
    "parse_spec",
    "stop_token_ids",
]
