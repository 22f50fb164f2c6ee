"""course_lib.memory.TensorMemory: the tensor bytes notebook 15 counts for activation checkpointing."""

from __future__ import annotations

import torch

from course_lib.memory import TensorMemory


def test_tensor_memory_counts_what_backward_keeps():
    w = torch.randn(32, 32, requires_grad=True)
    with TensorMemory() as mem:
        h = torch.randn(16, 32)          # created inside: counted
        out = (h @ w).tanh()             # tanh keeps its result for backward
        del h
        held = mem.live()
        out.sum().backward()
        del out
        after = mem.live()
    assert held == 2 * 16 * 32 * 4       # the input (kept by @ for w's gradient) and tanh's result
    assert mem.peak >= held + 32 * 32 * 4  # w.grad came on top during backward
    assert after == 32 * 32 * 4          # backward freed what it kept; only w.grad is left
