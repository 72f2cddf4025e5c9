"""HFPolicy: a local transformers causal LM generating with our chat format, token-in/token-out.

The conversation is tokenized once (``agentgym.chat.tokenize``) and then only *appended*:
the ids the model generated are kept verbatim and new tool/user turns are rendered and
encoded incrementally, so what the model conditions on is exactly what a trainer would
score. The completion text goes back to the env, which parses it with the same format.
Needs the ``[train]`` extra (torch, transformers).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agentgym.policies.base import BasePolicy, PolicyError

_LOCK = threading.Lock()  # one model, many rollout workers: generate one at a time
_CACHE: dict[str, tuple[Any, Any]] = {}


def load_model(path: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a local folder saved with ``save_pretrained`` (cached)."""
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _CACHE:
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise PolicyError("hf: policies need the [train] extra (transformers)") from exc
            try:
                tok = AutoTokenizer.from_pretrained(key)
                model = AutoModelForCausalLM.from_pretrained(key)
            except OSError as exc:
                raise PolicyError(f"cannot load a model from {key}: {exc}") from exc
            model.eval()
            _CACHE[key] = (model, tok)
        return _CACHE[key]


class HFPolicy(BasePolicy):
    """Sampling (or greedy) decoding with a KV cache and a seeded ``torch.Generator``."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str = "hf",
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        stop: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self.stop = stop
        self.tokenized: Any = None
        self.seen = 0
        self.generated: list[list[int]] = []

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> HFPolicy:
        model, tok = load_model(path)
        return cls(model, tok, name=f"hf:{path}", **kwargs)

    def reset(self, info: dict[str, Any]) -> None:
        super().reset(info)
        self.tokenized = None
        self.seen = 0
        self.generated = []
        self.episode_seed = int(info.get("seed") or 0)

    def _eos_ids(self) -> set[int]:
        ids = {self.tokenizer.eos_token_id} if self.tokenizer.eos_token_id is not None else set()
        eos = getattr(self.model.config, "eos_token_id", None)
        ids |= set(eos) if isinstance(eos, list) else ({eos} if eos is not None else set())
        return ids

    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str:
        import torch

        from agentgym.chat import get_format
        from agentgym.chat.tokenize import tokenize

        if self.tokenized is None:
            fmt = info.get("fmt") or get_format(info.get("chat_format") or "qwen3")
            self.tokenized = tokenize(
                fmt, self.tokenizer, messages, tools, add_generation_prompt=True
            )
        else:
            # messages[self.seen] is our last turn (as the env parsed it); keep our ids for it.
            new = messages[self.seen :]
            self.tokenized.append(new, generated_ids=self.generated[-1])
        self.seen = len(messages)  # our coming turn will be messages[self.seen]
        prompt_ids = list(self.tokenized.ids)
        out_ids = self._generate(prompt_ids, torch)
        self.generated.append(out_ids)
        self.usage.requests += 1
        self.usage.prompt_tokens += len(prompt_ids)
        self.usage.completion_tokens += len(out_ids)
        return self.tokenizer.decode(out_ids, skip_special_tokens=False)

    def _generate(self, prompt_ids: list[int], torch: Any) -> list[int]:
        gen = torch.Generator().manual_seed(
            self.seed * 1_000_003 + self.episode_seed + len(self.generated)
        )
        eos = self._eos_ids()
        out: list[int] = []
        with _LOCK, torch.no_grad():
            ids = torch.tensor([prompt_ids], dtype=torch.long)
            past = None
            for _ in range(self.max_new_tokens):
                res = self.model(input_ids=ids, past_key_values=past, use_cache=True)
                past = res.past_key_values
                logits = res.logits[0, -1].float()
                if self.temperature <= 0:
                    nxt = int(torch.argmax(logits))
                else:
                    probs = torch.softmax(logits / self.temperature, dim=-1)
                    nxt = int(torch.multinomial(probs, 1, generator=gen))
                out.append(nxt)
                if nxt in eos:
                    break
                if self.stop and any(
                    self.tokenizer.decode(out[-8:]).endswith(s) for s in self.stop
                ):
                    break
                ids = torch.tensor([[nxt]], dtype=torch.long)
        return out


__all__ = ["HFPolicy", "load_model"]
