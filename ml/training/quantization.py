"""int8 inference for encoders on the CPU: Linear layers with int8 weights and activations.

Each nn.Linear inside the encoder stack becomes an Int8Linear: its weight is quantised once,
symmetrically per output channel (scale_o = max_i |W_oi| / 127), and each input batch is
quantised on the fly to uint8 over its own min..max range (dynamic quantisation); fbgemm
multiplies in int8 and returns float32. On CPUs with VNNI the activations use the full 8 bits;
torch.ao's quantize_dynamic always uses 7 (reduce_range, needed only without VNNI to avoid
int16 overflow), which on MiniLM doubles the logit error for no speed gain.

torch marks its quantized tensor types deprecated (to move to torchao, not a dependency
here); they are stable in the pinned torch, and the warning is silenced where the weights
are packed. The pooler and the classification head stay in float32: they see one vector per text, so
they cost nothing, and they are where rounding would move the logits most directly.
"""

from __future__ import annotations

import copy
import warnings

import torch


def cpu_has_vnni() -> bool:
    """Whether this CPU has AVX-512 VNNI / AVX-VNNI (int8 dot products without saturation)."""
    probe = getattr(torch.cpu, "_is_vnni_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


def int8_available() -> bool:
    """Whether torch has the fbgemm/x86 quantized engine this module needs."""
    return bool({"fbgemm", "x86"} & set(torch.backends.quantized.supported_engines))


class Int8Linear(torch.nn.Module):
    """y = x @ W.T + b with W per-channel int8 and x dynamically quantised to 8 (or 7) bits."""

    def __init__(self, linear: torch.nn.Linear, *, reduce_range: bool) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = (weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0).double()
        zero_points = torch.zeros(weight.shape[0], dtype=torch.long)
        bias = linear.bias.detach().float() if linear.bias is not None else None
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
            quantized = torch.quantize_per_channel(weight, scales, zero_points, 0, torch.qint8)
            self.packed = torch.ops.quantized.linear_prepack(quantized, bias)
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.reduce_range = reduce_range

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x.float(), self.packed, self.reduce_range)

    def extra_repr(self) -> str:
        bits = 7 if self.reduce_range else 8
        return f"in={self.in_features}, out={self.out_features}, activations={bits}-bit"


def quantize_linear_int8(model: torch.nn.Module, *, reduce_range: bool | None = None):
    """A copy of `model` whose encoder-stack Linear layers are Int8Linear (CPU inference only).

    The stack is `model.base_model.encoder` when the model has one (BERT-class models), else
    every Linear of the base model except a pooler. reduce_range defaults to "no VNNI".
    Raises RuntimeError when torch lacks the x86/fbgemm quantized engine.
    """
    if not int8_available():
        raise RuntimeError("This torch build has no x86/fbgemm quantized engine for int8.")
    if reduce_range is None:
        reduce_range = not cpu_has_vnni()
    quantized = copy.deepcopy(model)
    base = getattr(quantized, "base_model", quantized)
    stack = getattr(base, "encoder", base)
    for parent_name, parent in list(stack.named_modules()):
        if "pooler" in parent_name:
            continue
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and name != "pooler":
                setattr(parent, name, Int8Linear(child, reduce_range=reduce_range))
    return quantized.eval()
