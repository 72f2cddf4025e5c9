"""AdamW over FP32 master copies of low-precision (bf16/fp16) parameters.

bf16 keeps 8 bits of mantissa: an update smaller than about 1/256 of a weight rounds to
nothing, so plain AdamW on bf16 weights at RL learning rates silently stops learning
(small, consistent updates vanish). Here the model stays in bf16 for rollouts and the
forward/backward pass; AdamW steps on FP32 copies and the result is rounded into the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor


class MasterWeightsAdamW:
    """The ``torch.optim.AdamW`` interface the trainer uses, with FP32 masters behind it."""

    def __init__(self, params: Iterable[Tensor], **adamw: Any) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.master = [p.detach().to(torch.float32, copy=True) for p in self.params]
        self.opt = torch.optim.AdamW(self.master, **adamw)

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.opt.param_groups

    @torch.no_grad()
    def step(self) -> None:
        for m, p in zip(self.master, self.params, strict=True):
            m.grad = None if p.grad is None else p.grad.to(torch.float32)
        self.opt.step()
        for m, p in zip(self.master, self.params, strict=True):
            p.copy_(m)  # round to the model's precision once per step

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()
        for m in self.master:
            m.grad = None

    def state_dict(self) -> dict[str, Any]:
        return {"adamw": self.opt.state_dict(), "master": [m.detach().clone() for m in self.master]}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore masters and moments; a plain AdamW state (older checkpoints) restores the
        moments and takes the masters from the model's current weights."""
        if "master" not in state:
            self.opt.load_state_dict(state)
            for m, p in zip(self.master, self.params, strict=True):
                m.copy_(p)
            return
        if len(state["master"]) != len(self.master):
            raise ValueError(
                f"checkpoint has {len(state['master'])} master tensors, the model {len(self.master)}"
            )
        for m, saved in zip(self.master, state["master"], strict=True):
            m.copy_(saved)
        self.opt.load_state_dict(state["adamw"])
        for m, p in zip(self.master, self.params, strict=True):
            p.copy_(m)


def make_optimizer(params: Iterable[Tensor], *, master_fp32: bool, **adamw: Any) -> Any:
    """AdamW, over FP32 masters when ``master_fp32`` (bf16/fp16 models)."""
    if master_fp32:
        return MasterWeightsAdamW(params, **adamw)
    return torch.optim.AdamW(params, **adamw)
