"""Seeded, deterministic sections of torch code that leave the caller's RNG state untouched."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def seeded(seed: int, device: torch.device, deterministic: bool = True) -> Iterator[None]:
    """Run the block with torch's RNGs seeded to `seed`, restoring the previous state after.

    With deterministic=True, torch.use_deterministic_algorithms is switched on (warn-only, so
    an op without a deterministic kernel warns instead of failing) and cuDNN autotuning off,
    and both are restored on exit. On the CPU, with the same thread count, this makes a
    training run repeatable bit for bit. Side effect while inside: process-wide torch flags.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_benchmark = torch.backends.cudnn.benchmark
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn_only)
            torch.backends.cudnn.benchmark = previous_benchmark
