"""Which device to run on, which dtype to autocast to there, and how many CPU threads to use."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import torch


class DeviceUnavailable(RuntimeError):
    """A device was asked for that this machine does not have."""


def resolve_device(spec: str | torch.device | None = "auto") -> torch.device:
    """Turn "auto", "cpu", "cuda" or "cuda:N" into a torch.device.

    "auto" (or None) picks the first CUDA device when one is usable and the CPU otherwise.
    Raises DeviceUnavailable for a CUDA device this machine lacks and ValueError for any other
    string, so that a misconfigured worker fails at start rather than mid-job.
    """
    if isinstance(spec, torch.device):
        spec = str(spec)
    text = (spec or "auto").strip().lower()
    if text == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        index_text = text.partition(":")[2] or "0"
        if not index_text.isdigit():
            raise ValueError(f"Unknown device {spec!r}: expected auto, cpu, cuda or cuda:N.")
        index = int(index_text)
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"Device {spec!r} was requested but CUDA is not available.")
        if index >= torch.cuda.device_count():
            raise DeviceUnavailable(
                f"Device {spec!r} was requested but only {torch.cuda.device_count()} "
                "CUDA device(s) exist."
            )
        return torch.device(f"cuda:{index}")
    raise ValueError(f"Unknown device {spec!r}: expected auto, cpu, cuda or cuda:N.")


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The reduced-precision dtype for autocast on `device`, or None for full precision.

    bfloat16 where the GPU supports it (it needs no loss scaling), float16 on older GPUs, and
    None on the CPU, where autocast to bfloat16 is slower than float32 on most server CPUs.
    """
    if device.type != "cuda":
        return None
    with torch.cuda.device(device):
        if torch.cuda.is_bf16_supported():
            return torch.bfloat16
    return torch.float16


CPU_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_computes_bfloat16() -> bool:
    """Whether this CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX BF16), where
    oneDNN runs bfloat16 matrix products faster than float32. Read from /proc/cpuinfo, so
    False off Linux."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return any(flag in flags for flag in CPU_BFLOAT16_FLAGS)


@contextlib.contextmanager
def autocast(
    device: torch.device, enabled: bool = True, cpu_bfloat16: bool = False
) -> Iterator[None]:
    """Mixed precision on CUDA (see autocast_dtype), and with cpu_bfloat16 on a CPU that
    computes bfloat16 natively (cpu_computes_bfloat16); otherwise a no-op.

    Only the block's operations run in reduced precision: weights and optimiser state stay
    float32, so bfloat16 needs no loss scaling.
    """
    if not enabled:
        dtype = None
    elif device.type == "cpu":
        dtype = torch.bfloat16 if cpu_bfloat16 and cpu_computes_bfloat16() else None
    else:
        dtype = autocast_dtype(device)
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


def cpu_thread_count() -> int:
    """CPUs this process may run on (respects affinity masks set by containers and taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def configure_cpu_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op thread count (default: one per available CPU) and return it.

    Side effect: changes a process-wide torch setting. One thread per core is fastest for the
    matrix sizes of small encoders; more threads than cores only adds contention.
    """
    threads = num_threads if num_threads and num_threads > 0 else cpu_thread_count()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
