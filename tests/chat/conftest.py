"""A BPE tokenizer trained locally on bundled text plus every family's special tokens."""

from __future__ import annotations

import json

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from agentgym.chat import get_format, list_formats
from tests.chat.corpus import CASES


def _training_text() -> list[str]:
    lines = [json.dumps(case, ensure_ascii=False) for case in CASES.values()]
    lines += [
        "def parse(row):\n    return row.get('name')\n",
        "pytest -x tests/ 1 failed 2 passed",
    ] * 3
    return lines


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    specials = sorted(
        {t for f in list_formats() if f != "hf" for t in get_format(f).special_tokens}
    )
    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_text(), trainer)
    return tok
