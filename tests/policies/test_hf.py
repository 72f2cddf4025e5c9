"""HFPolicy with a tiny random-init model built in code (no hub): token-in/token-out."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from agentgym.chat import get_format
from agentgym.policies import HFPolicy


@pytest.mark.train
def test_generated_ids_are_kept_verbatim(tmp_path) -> None:
    from transformers import PreTrainedTokenizerFast

    from agentgym.env.toolcall import build_toy_tokenizer
    from agentgym.train.config import ModelConfig
    from agentgym.train.model import build_model

    tok = PreTrainedTokenizerFast(tokenizer_object=build_toy_tokenizer(vocab_size=128))
    tok.eos_token = tok.convert_ids_to_tokens(0)
    model = build_model(
        ModelConfig(max_position_embeddings=4096), vocab_size=len(tok), pad_id=0, eos_id=0, seed=0
    )
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    policy = HFPolicy.from_path(tmp_path, max_new_tokens=6, temperature=1.0, seed=3)
    fmt = get_format("qwen3")
    messages = [{"role": "user", "content": "fix the bug"}]
    policy.reset({"seed": 0})
    text = policy.act(messages, [], {"fmt": fmt})
    assert isinstance(text, str) and 1 <= len(policy.generated[0]) <= 6
    first_ids = list(policy.tokenized.ids)
    messages = [
        *messages,
        {"role": "assistant", "content": text},
        {"role": "user", "content": "again"},
    ]
    policy.act(messages, [], {"fmt": fmt})
    ids = policy.tokenized.ids
    n = len(first_ids)
    assert ids[:n] == first_ids  # earlier ids untouched
    assert ids[n : n + len(policy.generated[0])] == policy.generated[0]  # generated ids verbatim
    assert policy.usage.requests == 2 and policy.usage.completion_tokens > 0
    # same seed, same episode: same tokens
    again = HFPolicy.from_path(tmp_path, max_new_tokens=6, temperature=1.0, seed=3)
    again.reset({"seed": 0})
    again.act(messages[:1], [], {"fmt": fmt})
    assert again.generated[0] == policy.generated[0]
