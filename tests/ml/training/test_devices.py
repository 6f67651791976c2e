import pytest
import torch

from ml.training.devices import (
    DeviceUnavailable,
    autocast_dtype,
    configure_cpu_threads,
    resolve_device,
)


def test_auto_picks_cuda_only_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected


def test_cpu_resolves_to_cpu_without_autocast():
    device = resolve_device("CPU")
    assert device == torch.device("cpu")
    assert autocast_dtype(device) is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused_clearly():
    with pytest.raises(DeviceUnavailable, match="CUDA is not available"):
        resolve_device("cuda:0")


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_strings_are_rejected(spec):
    with pytest.raises(ValueError, match="Unknown device"):
        resolve_device(spec)


def test_configure_cpu_threads_sets_and_returns_the_count():
    before = torch.get_num_threads()
    try:
        assert configure_cpu_threads(1) == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_cpu_autocasts_to_bfloat16_only_when_asked_and_native(monkeypatch):
    from ml.training import devices

    cpu, a = torch.device("cpu"), torch.ones(4, 4)
    with devices.autocast(cpu):  # mixed precision alone leaves the CPU in float32
        assert (a @ a).dtype == torch.float32
    for native, expected in ((False, torch.float32), (True, torch.bfloat16)):
        monkeypatch.setattr(devices, "cpu_computes_bfloat16", lambda native=native: native)
        with devices.autocast(cpu, cpu_bfloat16=True):
            assert (a @ a).dtype == expected
        with devices.autocast(cpu, enabled=False, cpu_bfloat16=True):
            assert (a @ a).dtype == torch.float32
