"""Tokenizers for training: a tiny local BPE that knows a chat format's special tokens.

Real runs load the model's own ``tokenizer.json`` (``tokenizer.kind: file``). Tests and
CPU smoke runs on chat envs use ``build_chat_tokenizer``: byte-level BPE trained on the
bundled corpus (no hub, deterministic) with every special token of the chat format as a
single added token, so the end-of-turn token the policy samples is one id and
``agentgym.chat.tokenize`` renders turns the way a real tokenizer would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentgym.errors import ConfigError

PAD = "<|pad|>"


def chat_special_tokens(fmt: Any) -> list[str]:
    """Every special string of ``fmt`` (BOS, EOS, end of turn, stop strings, markers), in order."""
    seen: list[str] = []
    for tok in (
        fmt.bos_token,
        fmt.eos_token,
        fmt.end_of_turn,
        *fmt.stop_strings,
        *fmt.special_tokens,
    ):
        if tok and tok not in seen:
            seen.append(tok)
    return seen


def build_chat_tokenizer(fmt: Any, vocab_size: int = 512, texts: Sequence[str] = ()) -> Any:
    """Byte-level BPE with ``fmt``'s special tokens and ``<|pad|>`` added.

    Trained on the bundled corpus plus ``texts`` (e.g. the env's system prompt, tool specs
    and task instructions, so a coding prompt is not thousands of single bytes).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from agentgym.env.toolcall import corpus_lines

    specials = [PAD, *chat_special_tokens(fmt)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()  # every byte encodes: no unknown characters
    trainer = trainers.BpeTrainer(
        vocab_size=max(vocab_size, len(alphabet) + len(specials)),
        special_tokens=specials,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator([*corpus_lines(), *texts], trainer)
    return tok


def token_id(tokenizer: Any, text: str) -> int | None:
    """The id of ``text`` when it is a single token of ``tokenizer``, else None."""
    out = tokenizer.encode(text, add_special_tokens=False)
    ids = list(out.ids) if hasattr(out, "ids") else list(out)
    return ids[0] if len(ids) == 1 else None


def chat_stop_ids(fmt: Any, tokenizer: Any) -> list[int]:
    """Ids that end an assistant turn in ``fmt`` (end of turn, stop strings, EOS).

    Generation stops at any of them. Raises ``ConfigError`` when the tokenizer has none
    as a single token (it was not built with the format's special tokens).
    """
    ids: list[int] = []
    for text in (fmt.end_of_turn, *fmt.stop_strings, fmt.eos_token):
        if text and (i := token_id(tokenizer, text)) is not None and i not in ids:
            ids.append(i)
    if not ids:
        raise ConfigError(
            f"the tokenizer has no single token for any stop string of chat format "
            f"{fmt.name!r} ({', '.join(fmt.stop_strings)}); use the model's own tokenizer.json "
            "or tokenizer.kind: auto, which adds the format's special tokens"
        )
    return ids


def pad_id(tokenizer: Any, fallback: int) -> int:
    """``<|pad|>``'s id when the tokenizer has it, else ``fallback`` (padding is masked anyway)."""
    i = token_id(tokenizer, PAD)
    return fallback if i is None else i


def vocab_size(tokenizer: Any) -> int:
    """Size of a ``tokenizers.Tokenizer`` (with added tokens) or a transformers tokenizer."""
    if hasattr(tokenizer, "get_vocab_size"):
        return int(tokenizer.get_vocab_size(with_added_tokens=True))
    return len(tokenizer)
