"""A simulated accelerator: a device that computes on the CPU but refuses what a GPU refuses.

CPU-only CI hides device bugs: a module left on the CPU, a target tensor never moved, ``.numpy()``
on a device tensor. ``fakegpu`` is a device type of its own, so those bugs fail in CI the way they
fail on CUDA or Apple MPS. Turn it on for a whole notebook or script with an environment variable::

    COURSE_DEVICE=fakegpu   # CUDA-like:  course_lib.get_device() -> device(type='fakegpu', index=0)
    COURSE_DEVICE=fakemps   # MPS-like:   the same device, which also refuses float64 and sparse tensors

or call :func:`enable` yourself. How it is built (all PyTorch extension points, no C++):

* the ``PrivateUse1`` backend is renamed ``fakegpu`` and registered as a Python backend
  (``torch.utils.backend_registration._setup_privateuseone_for_python_backend``);
* a device tensor is a :class:`FakeDeviceTensor`: a ``__torch_dispatch__`` wrapper subclass that
  reports ``device='fakegpu:0'`` and holds an ordinary CPU tensor. Every ATen op on it is checked
  (devices, and dtypes/layouts for the MPS flavour), run on the held CPU tensors, and its results
  wrapped again;
* factory calls that name the device (``torch.zeros(3, device="fakegpu")``, ``t.to("fakegpu")``)
  reach ``PrivateUse1`` kernels for ``empty``/``empty_strided``, registered with ``torch.library``,
  which return a wrapper; every later op then goes through ``__torch_dispatch__``.

What fails, as on the real hardware:

* an op mixing a device tensor with a CPU tensor of one or more dimensions -> ``RuntimeError``
  "Expected all tensors to be on the same device ..." (0-dim CPU tensors pass as scalars, CPU
  index tensors pass in indexing, and ``lengths``/``batch_sizes`` of packed sequences must be on
  the CPU: all as on CUDA);
* ``.numpy()`` and ``np.asarray(t)`` of a device tensor -> ``TypeError`` "can't convert fakegpu:0
  device type tensor to numpy. Use Tensor.cpu() ..." (``.tolist()`` and ``.item()`` work, as on
  CUDA; both are host syncs and are counted, see :func:`sync_counts`);
* a CPU ``torch.Generator`` used to fill a device tensor (CUDA wants a generator of its device);
* MPS flavour: float64 (and complex128) tensors on the device -> ``TypeError`` as on MPS, sparse
  tensors on the device -> ``NotImplementedError``.

Limits (what it does not simulate): memory limits and out-of-memory errors, speed (every op is a
Python call, so it is slower than the CPU), asynchronous execution and streams, mixed precision
(``torch.autocast``/``GradScaler`` for this device), pinned memory, NCCL and multi-device,
``torch.compile``, numerical differences between GPU and CPU kernels, and ops that CUDA lacks but
the CPU has. ``torch.load(..., map_location=fakegpu)`` restores tensors saved from the device onto
it, but leaves tensors that were saved from the CPU on the CPU (CUDA would move them too; copy
them with ``load_state_dict`` or ``.to(device)``). ``torch.Generator(device="fakegpu")`` and lazy
modules (``nn.LazyLinear``) are not supported, and a device tensor cannot be resized or
transposed in place (``resize_``, ``transpose_``): such calls raise. One process holds one fake
device (``fakegpu:0``); the flavour can be switched.

>>> import torch
>>> device = enable()
>>> x = torch.ones(2, 3, device=device)
>>> x.device
device(type='fakegpu', index=0)
>>> (x * 2).sum().item()
12.0
>>> x + torch.ones(2, 3)
Traceback (most recent call last):
RuntimeError: Expected all tensors to be on the same device, but found at least two devices, ...
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch

NAME = "fakegpu"
FLAVOURS = ("cuda", "mps")

_state: dict[str, Any] = {"enabled": False, "flavour": "cuda"}
_syncs: Counter[str] = Counter()
aten = torch.ops.aten


# -- the tensor ---------------------------------------------------------------------------------

class FakeDeviceTensor(torch.Tensor):
    """A tensor that says it lives on ``fakegpu:0`` and keeps its data in a CPU tensor ``.host``."""

    host: torch.Tensor
    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def __new__(cls, host: torch.Tensor, requires_grad: bool = False) -> FakeDeviceTensor:
        _refuse_on_mps(host)
        sparse = host.layout != torch.strided
        out = torch.Tensor._make_wrapper_subclass(
            cls, host.size(), dtype=host.dtype, layout=host.layout, device=torch.device(NAME, 0),
            requires_grad=requires_grad,
            **({} if sparse else {"strides": host.stride(), "storage_offset": host.storage_offset()}))
        out.host = host
        return out

    # A traceable wrapper subclass (these two methods) makes nn.Module.to() swap parameters in
    # place, as .data = ... does on CUDA: an optimizer built before .to(device) still sees them.
    def __tensor_flatten__(self) -> tuple[list[str], None]:
        return ["host"], None

    @staticmethod
    def __tensor_unflatten__(inner: dict, meta: Any, outer_size: Any, outer_stride: Any) -> Any:
        return FakeDeviceTensor(inner["host"])

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        text = repr(self.host.detach())
        extra = f", device='{self.device}'"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{type(self.grad_fn).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return text[:-1] + extra + ")"

    def __format__(self, spec: str) -> str:
        if self.dim() == 0:
            return self.item().__format__(spec)   # as torch.Tensor does (a host sync)
        return repr(self).__format__(spec)

    def __reduce_ex__(self, proto: int) -> Any:
        # torch.save: PyTorch's own format for storage-less PrivateUse1 tensors (a CPU copy, moved
        # back on load, honouring map_location; torch.load(weights_only=True) accepts it).
        return (torch._utils._rebuild_device_tensor_from_cpu_tensor,
                (self.host.detach().clone(), self.dtype, str(self.device), self.requires_grad))

    def numpy(self, *, force: bool = False) -> Any:
        if force:   # as on CUDA: force=True copies to the host
            return self.detach().cpu().numpy()
        raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy "
                        "the tensor to host memory first. [course_lib.fakegpu: as on a real GPU]")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self.numpy()   # np.asarray(t) fails as on CUDA

    def tolist(self) -> Any:
        return self.detach().cpu().tolist()   # works on CUDA (a host sync, counted as to_cpu)

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        exempt = _CPU_ARGS_OK.get(func, ())
        inputs: dict[int, FakeDeviceTensor] = {}
        host_args = [_host(a, i not in exempt, func, inputs) for i, a in enumerate(args)]
        host_kwargs = {k: _host(v, True, func, inputs) for k, v in (kwargs or {}).items()}
        if func is aten._local_scalar_dense.default:
            _syncs["item"] += 1
        wrap = True
        if host_kwargs.get("device") is not None:
            wrap = torch.device(host_kwargs["device"]).type == NAME
            if wrap:
                host_kwargs["device"] = torch.device("cpu")
            elif func is aten._to_copy.default:
                _syncs["to_cpu"] += 1
        out = _CPU_STANDINS.get(func, func)(*host_args, **host_kwargs)
        if not wrap:
            return out
        keep = _CPU_OUTPUTS.get(func, ())
        if keep:
            return tuple(o if i in keep else _wrap(o, inputs, func) for i, o in enumerate(out))
        return _wrap(out, inputs, func)


def _host(x: Any, check: bool, func: Any, inputs: dict[int, FakeDeviceTensor]) -> Any:
    """``x`` with device tensors replaced by their CPU tensors; refuses what CUDA refuses."""
    if isinstance(x, FakeDeviceTensor):
        inputs[id(x.host)] = x
        return x.host
    if isinstance(x, torch.Tensor):
        if check and x.dim() > 0 and x.device.type == "cpu":
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{NAME}:0 and cpu! (when checking arguments for {func}) [course_lib.fakegpu: a "
                f"real GPU fails here too; move the CPU tensor with .to(device)]")
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_host(i, check, func, inputs) for i in x)
    if check and isinstance(x, torch.Generator) and x.device.type == "cpu":
        raise RuntimeError(f"Expected a '{NAME}' device type for generator but found 'cpu' "
                           f"(when calling {func}) [course_lib.fakegpu: on CUDA, tensors on the "
                           "GPU need torch.Generator(device=...) of that device]")
    return x


def _wrap(out: Any, inputs: dict[int, FakeDeviceTensor], func: Any) -> Any:
    """Wrap the CPU results of ``func``; an in-place or ``out=`` op returns its own wrapper."""
    if isinstance(out, torch.Tensor):
        same = inputs.get(id(out))
        if same is None:
            return FakeDeviceTensor(out)
        if same.shape != out.shape:   # a wrapper's size is fixed when it is made
            raise NotImplementedError(f"course_lib.fakegpu cannot resize a device tensor in place ({func}); "
                                      "use the out-of-place form of this operation")
        return same
    if isinstance(out, (list, tuple)):
        return type(out)(_wrap(o, inputs, func) for o in out)
    return out


# Arguments that CUDA itself wants (or accepts) on the CPU: {op: positions}.
_CPU_ARGS_OK: dict[Any, tuple[int, ...]] = {
    aten.index.Tensor: (1,), aten.index_put.default: (1,), aten.index_put_.default: (1,),
    aten._index_put_impl_.default: (1,),
    aten._pack_padded_sequence.default: (1,), aten._pack_padded_sequence_backward.default: (2,),
    aten._pad_packed_sequence.default: (1,),
    aten.copy_.default: (0, 1), aten._to_copy.default: (0,), aten._copy_from.default: (0, 1),
    aten._copy_from_and_resize.default: (0, 1),
}
# Outputs that stay on the CPU on CUDA too (batch_sizes of a PackedSequence, padded lengths).
_CPU_OUTPUTS: dict[Any, tuple[int, ...]] = {
    aten._pack_padded_sequence.default: (1,), aten._pad_packed_sequence.default: (1,),
}


# -- ops the CPU lacks: on a GPU, LSTM/GRU layers run fused cell kernels that only GPUs register.
# These CPU stand-ins compute the same thing; the workspace layout is our own (used only here).

def _lstm_cell(input_gates: torch.Tensor, hidden_gates: torch.Tensor, cx: torch.Tensor,
               input_bias: torch.Tensor | None = None, hidden_bias: torch.Tensor | None = None) -> tuple:
    gates = input_gates + hidden_gates
    if input_bias is not None:
        gates = gates + input_bias + hidden_bias
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    cy = f * cx + i * g
    return o * cy.tanh(), cy, torch.cat([i, f, g, o], 1)


def _lstm_cell_backward(grad_hy: torch.Tensor | None, grad_cy: torch.Tensor | None, cx: torch.Tensor,
                        cy: torch.Tensor, workspace: torch.Tensor, has_bias: bool) -> tuple:
    i, f, g, o = workspace.chunk(4, 1)
    tanh_cy = cy.tanh()
    grad_hy = torch.zeros_like(cy) if grad_hy is None else grad_hy
    gcy = grad_hy * o * (1 - tanh_cy * tanh_cy)
    gcy = gcy if grad_cy is None else gcy + grad_cy
    grad_gates = torch.cat([gcy * g * i * (1 - i), gcy * cx * f * (1 - f), gcy * i * (1 - g * g),
                            grad_hy * tanh_cy * o * (1 - o)], 1)
    return grad_gates, gcy * f, grad_gates.sum(0) if has_bias else None


def _gru_cell(input_gates: torch.Tensor, hidden_gates: torch.Tensor, hx: torch.Tensor,
              input_bias: torch.Tensor | None = None, hidden_bias: torch.Tensor | None = None) -> tuple:
    if input_bias is not None:
        input_gates, hidden_gates = input_gates + input_bias, hidden_gates + hidden_bias
    ir, ii, in_ = input_gates.chunk(3, 1)
    hr, hi, hn = hidden_gates.chunk(3, 1)
    r, z = (ir + hr).sigmoid(), (ii + hi).sigmoid()
    n = (in_ + r * hn).tanh()
    return n + z * (hx - n), torch.cat([r, z, n, hx, hn], 1)


def _gru_cell_backward(grad_hy: torch.Tensor, workspace: torch.Tensor, has_bias: bool) -> tuple:
    r, z, n, hx, hn = workspace.chunk(5, 1)
    gn = grad_hy * (1 - z) * (1 - n * n)
    gz = grad_hy * (hx - n) * z * (1 - z)
    gr = gn * hn * r * (1 - r)
    grad_input, grad_hidden = torch.cat([gr, gz, gn], 1), torch.cat([gr, gz, gn * r], 1)
    bias = (grad_input.sum(0), grad_hidden.sum(0)) if has_bias else (None, None)
    return grad_input, grad_hidden, grad_hy * z, *bias


# Factories whose generic kernel makes an empty tensor and resizes it (a wrapper cannot be
# resized) or that only the CPU and CUDA implement: run them on the CPU and wrap the result.
_HOST_FACTORIES = ("arange", "arange.start", "arange.start_step", "eye", "eye.m", "tril_indices",
                   "triu_indices")


def _host_factory(name: str) -> Any:
    packet, _, overload = name.partition(".")
    op = getattr(getattr(aten, packet), overload or "default")

    def impl(*args: Any, **kwargs: Any) -> FakeDeviceTensor:
        kwargs["device"] = torch.device("cpu")
        return FakeDeviceTensor(op(*args, **kwargs))
    return impl


def _rnn_time_major(name: str) -> Any:
    """ATen's generic GRU/RNN code transposes a batch_first output in place (``transpose_``), which
    a wrapper cannot do (its sizes are fixed); run it time-major and transpose out of place."""
    op = getattr(aten, name).input

    def impl(input: torch.Tensor, hx: torch.Tensor, params: list, *flags: Any) -> tuple:
        *rest, batch_first = flags
        if not batch_first:
            return op.decompose(input, hx, params, *flags)
        out, h = op.decompose(input.transpose(0, 1), hx, params, *rest, False)
        return out.transpose(0, 1), h
    return impl


_CPU_STANDINS: dict[Any, Any] = {
    aten._thnn_fused_lstm_cell.default: _lstm_cell,
    aten._thnn_fused_lstm_cell_backward_impl.default: _lstm_cell_backward,
    aten._thnn_fused_gru_cell.default: _gru_cell,
    aten._thnn_fused_gru_cell_backward.default: _gru_cell_backward,
}


def _refuse_on_mps(t: torch.Tensor) -> None:
    if _state["flavour"] != "mps":
        return
    if t.dtype in (torch.float64, torch.complex128):
        raise TypeError(f"Cannot convert a MPS Tensor to {str(t.dtype).removeprefix('torch.')} dtype as the "
                        "MPS framework doesn't support float64. Please use float32 instead. "
                        "[course_lib.fakegpu, MPS flavour]")
    if t.layout != torch.strided:
        raise NotImplementedError(f"Could not run with arguments from the 'SparseMPS' backend: {t.layout} "
                                  "tensors are not supported on MPS [course_lib.fakegpu, MPS flavour]; "
                                  "keep sparse tensors on the CPU or use a dense tensor")


# -- the backend --------------------------------------------------------------------------------

class _BackendModule:
    """``torch.fakegpu``: what PyTorch asks of a device module (availability, count, seeding)."""

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def is_initialized() -> bool:
        return True

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def current_device() -> int:
        return 0

    @staticmethod
    def _is_in_bad_fork() -> bool:
        return False

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        """Device tensors draw from the CPU generator, which ``torch.manual_seed`` already seeds."""

    @staticmethod
    def get_rng_state(device: Any = None) -> torch.Tensor:
        return torch.get_rng_state()

    @staticmethod
    def set_rng_state(state: torch.Tensor, device: Any = None) -> None:
        """Nothing to do: see :meth:`manual_seed_all`."""


def _empty(size: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
           pin_memory: Any = None, memory_format: Any = None) -> FakeDeviceTensor:
    return FakeDeviceTensor(torch.empty(size, dtype=dtype, memory_format=memory_format))


def _empty_strided(size: Any, stride: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                   pin_memory: Any = None) -> FakeDeviceTensor:
    return FakeDeviceTensor(torch.empty_strided(size, stride, dtype=dtype))


def _copy_from(src: torch.Tensor, dst: torch.Tensor, non_blocking: bool = False) -> torch.Tensor:
    host = dst.host if isinstance(dst, FakeDeviceTensor) else dst
    host.copy_(src.host if isinstance(src, FakeDeviceTensor) else src)
    return dst


def _restore_storage(storage: Any, location: str) -> Any:
    """torch.load(map_location=fakegpu): a storage cannot live on the fake device, so it stays on
    the CPU; tensors saved from the device come back on it all the same (see __reduce_ex__)."""
    return storage if location.startswith(NAME) else None


def enable(flavour: str | None = None) -> torch.device:
    """Register the ``fakegpu`` device in this process (once) and return ``device('fakegpu:0')``.

    ``flavour`` is ``"cuda"`` (default) or ``"mps"`` (also refuses float64 and sparse tensors on
    the device); calling again with another flavour switches it.

    >>> enable().type
    'fakegpu'
    """
    if flavour is not None:
        if flavour not in FLAVOURS:
            raise ValueError(f"Unknown fakegpu flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}.")
        _state["flavour"] = flavour
    if not _state["enabled"]:
        from torch.utils.backend_registration import _setup_privateuseone_for_python_backend

        if torch._C._get_privateuse1_backend_name() != "privateuseone":
            raise RuntimeError("Another PrivateUse1 backend is registered in this process; "
                               "course_lib.fakegpu cannot be enabled next to it.")
        _setup_privateuseone_for_python_backend(NAME, backend_module=_BackendModule())
        lib = torch.library.Library("aten", "IMPL")   # kept in _state: the kernels live as long as it
        lib.impl("empty.memory_format", _empty, "PrivateUse1")
        lib.impl("empty_strided", _empty_strided, "PrivateUse1")
        lib.impl("_copy_from", _copy_from, "PrivateUse1")
        for name in ("gru", "rnn_tanh", "rnn_relu"):
            lib.impl(f"{name}.input", _rnn_time_major(name), "AutogradPrivateUse1")
        for name in _HOST_FACTORIES:
            lib.impl(name, _host_factory(name), "PrivateUse1")
        _state["lib"] = lib
        torch.serialization.register_package(5, lambda storage: None, _restore_storage)
        _state["enabled"] = True
    return torch.device(NAME, 0)


def is_enabled() -> bool:
    """Whether :func:`enable` ran in this process."""
    return bool(_state["enabled"])


def flavour() -> str:
    """``"cuda"`` or ``"mps"``: which hardware the fake device imitates now."""
    return str(_state["flavour"])


@contextlib.contextmanager
def using_flavour(name: str) -> Iterator[torch.device]:
    """Imitate ``name`` (``"cuda"`` or ``"mps"``) inside a ``with`` block (for tests)."""
    before = flavour()
    device = enable(name)
    try:
        yield device
    finally:
        _state["flavour"] = before


def sync_counts() -> dict[str, int]:
    """Host syncs since the last :func:`reset_sync_counts`: ``item`` (``.item()``, ``bool(t)``,
    ``float(t)``, ``f"{t:.3f}"``) and ``to_cpu`` (device -> host copies: ``.cpu()``, ``.tolist()``).

    On a real GPU each one makes the CPU wait for the GPU; one per training step is fine, one per
    sample is slow.
    """
    return {"item": _syncs["item"], "to_cpu": _syncs["to_cpu"]}


def reset_sync_counts() -> None:
    """Set the counters of :func:`sync_counts` to zero."""
    _syncs.clear()
