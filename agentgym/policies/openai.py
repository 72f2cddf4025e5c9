"""OpenAIPolicy: any OpenAI-compatible endpoint (vLLM, SGLang, hosted APIs), stdlib HTTP only.

Modes:
- ``chat``: POST ``/chat/completions`` with messages and tools; the server applies its chat
  template and parses tool calls; we get a structured message back.
- ``completion``: we render the conversation with the *episode's* chat format (so a
  chat-format perturbation really changes what the model reads), POST ``/completions`` with
  the prompt, and hand the raw text back to the env, which parses it with the same format.

Transient failures (HTTP 408/409/429/5xx, connection errors, timeouts) are retried with
exponential backoff (``Retry-After`` respected); anything else, or running out of retries,
raises ``PolicyError``. Token usage is summed per episode from the server's ``usage``.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentgym.policies.base import BasePolicy, PolicyError
from agentgym.types import Message

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIConfig(BaseModel):
    """Endpoint settings; unset fields come from ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` /
    ``OPENAI_MODEL`` (``AGENTGYM_OPENAI_MODE`` for the mode)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(default_factory=lambda: os.environ.get("OPENAI_MODEL", ""))
    base_url: str = Field(
        default_factory=lambda: os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    )
    api_key: str = Field(default_factory=lambda: os.environ.get("OPENAI_API_KEY", "EMPTY"))
    mode: Literal["chat", "completion"] = Field(
        default_factory=lambda: os.environ.get("AGENTGYM_OPENAI_MODE", "chat")  # type: ignore[arg-type]
    )
    temperature: float = 0.0
    max_tokens: int = 2048
    timeout_s: float = 120.0
    max_retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    seed: int | None = 0
    extra_body: dict[str, Any] = Field(default_factory=dict)


class OpenAIPolicy(BasePolicy):
    """Chat or completion requests to an OpenAI-compatible server, with retries."""

    def __init__(self, config: OpenAIConfig | None = None, **overrides: Any) -> None:
        super().__init__()
        self.config = (config or OpenAIConfig()).model_copy(update=overrides)
        if not self.config.model:
            raise PolicyError("OpenAIPolicy needs a model: openai:MODEL or OPENAI_MODEL=...")
        self.name = f"openai:{self.config.model}"
        self.rng = np.random.default_rng(self.config.seed)
        self.sleep = time.sleep  # tests replace it

    # -- HTTP -------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.config.base_url.rstrip("/") + path
        data = json.dumps({**body, **self.config.extra_body}).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.config.api_key}",
        }
        last: str = ""
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                self.usage.retries += 1
            started = time.perf_counter()
            retry_after: float | None = None
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.config.timeout_s) as resp:
                    payload = json.loads(resp.read().decode())
                self.usage.requests += 1
                self.usage.latency_s += time.perf_counter() - started
                usage = payload.get("usage") or {}
                self.usage.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                self.usage.completion_tokens += int(usage.get("completion_tokens") or 0)
                return payload
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:300]
                last = f"HTTP {exc.code} from {url}: {detail}"
                if exc.code not in RETRY_STATUS:
                    raise PolicyError(last) from exc
                header = exc.headers.get("Retry-After") if exc.headers else None
                try:
                    retry_after = float(header) if header else None
                except ValueError:
                    retry_after = None
            except TimeoutError as exc:
                last = f"timed out after {self.config.timeout_s:g}s waiting for {url}"
                del exc
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    last = f"timed out after {self.config.timeout_s:g}s waiting for {url}"
                else:
                    last = f"cannot reach {url}: {exc.reason}"
            except (ConnectionError, json.JSONDecodeError) as exc:
                last = f"bad response from {url}: {exc}"
            if attempt < self.config.max_retries:
                delay = min(self.config.max_backoff_s, self.config.backoff_s * 2**attempt)
                delay *= 0.5 + float(self.rng.random())  # jitter: concurrent workers spread out
                self.sleep(max(delay, retry_after or 0.0))
        raise PolicyError(f"{last} (gave up after {self.config.max_retries + 1} attempts)")

    # -- acting -----------------------------------------------------------------------
    def act(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str | Message:
        if self.config.mode == "completion":
            return self._complete(messages, tools, info)
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if tools:
            body["tools"] = tools
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        payload = self._post("/chat/completions", body)
        try:
            raw = payload["choices"][0]["message"]
        except (KeyError, IndexError, TypeError) as exc:
            raise PolicyError(f"no choices in the server's reply: {str(payload)[:300]}") from exc
        raw = {
            k: v
            for k, v in raw.items()
            if k in Message.model_fields or k in ("reasoning_content", "reasoning")
        }
        raw["role"] = "assistant"
        return Message.model_validate(raw)

    def _complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], info: dict[str, Any]
    ) -> str:
        from agentgym.chat import get_format

        # info["fmt"]: the episode's format with its render options bound (rollout sets it).
        fmt = info.get("fmt") or get_format(info.get("chat_format") or "qwen3")
        prompt = fmt.render(messages, tools, True)
        body: dict[str, Any] = {
            "model": self.config.model,
            "prompt": prompt,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        payload = self._post("/completions", body)
        try:
            return str(payload["choices"][0]["text"])
        except (KeyError, IndexError, TypeError) as exc:
            raise PolicyError(f"no choices in the server's reply: {str(payload)[:300]}") from exc


__all__ = ["OpenAIConfig", "OpenAIPolicy"]
