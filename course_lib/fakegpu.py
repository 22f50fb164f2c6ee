"""A simulated accelerator: a device that computes on the CPU but refuses what a GPU refuses.

CPU-only CI hides device bugs: a module left on the CPU, a target tensor never moved, ``.numpy()``
on a device tensor. ``fakegpu`` is a device type of its own, so those bugs fail in CI the way they
fail on CUDA or Apple MPS. Turn it on for a whole notebook or script with an environment variable::

    COURSE_DEVICE=fakegpu   # CUDA-like:  course_lib.get_device() -> device(type='fakegpu', index=0)
    COURSE_DEVICE=fakemps   # MPS-like:   the same device, which also refuses float64 and sparse tensors

or call :func:`enable` yourself. Enabling it cannot be undone in a process (PyTorch has one
``PrivateUse1`` backend per process, and afterwards ``torch.accelerator`` reports it), so enable it
only in a process that runs on the simulated device: a notebook kernel, a script, or the test
process that ``tests/test_fakegpu.py`` starts for it -- never in a CPU test process. How it is
built (all PyTorch extension points, no C++):

* the ``PrivateUse1`` backend is renamed ``fakegpu`` and registered as a Python backend
  (``torch.utils.backend_registration._setup_privateuseone_for_python_backend``; a torch without
  these hooks is refused with a clear message, see :func:`missing_requirements`);
* a device tensor is a :class:`FakeDeviceTensor`: a ``__torch_dispatch__`` wrapper subclass that
  reports ``device='fakegpu:0'`` and holds an ordinary CPU tensor. Every ATen op on it is checked
  (devices, and dtypes/layouts for the MPS flavour), run on the held CPU tensors, and its results
  wrapped again;
* factory calls that name the device (``torch.zeros(3, device="fakegpu")``, ``t.to("fakegpu")``)
  reach ``PrivateUse1`` kernels for ``empty``/``empty_strided``, registered with ``torch.library``,
  which return a wrapper; every later op then goes through ``__torch_dispatch__``;
* mixed precision: ``torch.autocast("fakegpu")`` runs CUDA's autocast policy, registered with
  ``torch.library`` for the ``AutocastPrivateUse1`` key (matrix products and convolutions in
  float16 or bfloat16; reductions, softmax, norms and losses in float32; ``binary_cross_entropy``
  refused as on CUDA), and ``torch.amp.GradScaler("fakegpu")`` runs PyTorch's own unscale and
  scale-update kernels on the held CPU tensors. So ``course_lib.train.fit``'s CUDA path (float16
  autocast with a ``GradScaler``) runs here too.

What fails, as on the real hardware:

* an op mixing a device tensor with a CPU tensor of one or more dimensions -> ``RuntimeError``
  "Expected all tensors to be on the same device ..." (0-dim CPU tensors pass as scalars, CPU
  index tensors pass in indexing, and ``lengths``/``batch_sizes`` of packed sequences must be on
  the CPU: all as on CUDA). Ops that CUDA checks argument by argument refuse even a 0-dim CPU
  tensor as their index or target: ``embedding``, ``index_select``, ``gather``, ``scatter``,
  ``take``, ``index_add``/``index_copy``, ``nll_loss`` (``cross_entropy``);
* ``.numpy()`` and ``np.asarray(t)`` of a device tensor -> ``TypeError`` "can't convert fakegpu:0
  device type tensor to numpy. Use Tensor.cpu() ..." (``.tolist()`` and ``.item()`` work, as on
  CUDA; both are host syncs and are counted, see :func:`sync_counts`);
* a CPU ``torch.Generator`` used to fill a device tensor (CUDA wants a generator of its device);
* ``binary_cross_entropy`` (``nn.BCELoss``) inside ``torch.autocast`` (CUDA refuses it as unsafe);
* MPS flavour: float64 (and complex128) tensors on the device -> ``TypeError`` as on MPS, sparse
  tensors on the device -> ``NotImplementedError``.

Limits (what it does not simulate): memory limits and out-of-memory errors, speed (every op is a
Python call, so it is slower than the CPU), asynchronous execution and streams (``synchronize``
only counts the call), pinned memory (``DataLoader(pin_memory=True)`` raises: PyTorch lets only a
C++ backend provide a pinned-memory allocator), NCCL and multi-device, ``torch.compile`` with a
code-generating backend (``backend="aot_eager"`` runs), numerical differences between GPU and CPU
kernels (float16 matrix products and convolutions accumulate in float32 and round to float16, like
a GPU's tensor cores), autocast's cache of casted weights (each op casts again: same values),
nested tensors (so ``nn.TransformerEncoder``'s inference fast path is not taken here: the standard
path runs, the same at every real token, see ``docs/gpu-runs.md``), and ops that CUDA lacks but the
CPU has. ``data_ptr()`` is the held CPU tensor's (so sharing checks work); ``untyped_storage()`` is
not available. ``torch.load(..., map_location=fakegpu)`` restores tensors saved from the device
onto it, but leaves tensors that were saved from the CPU on the CPU (CUDA would move them too; copy
them with ``load_state_dict`` or ``.to(device)``). ``torch.Generator(device="fakegpu")`` and lazy
modules (``nn.LazyLinear``) are not supported, and a device tensor cannot be resized or transposed
in place (``resize_``, ``transpose_``): such calls raise. One process holds one fake device
(``fakegpu:0``); the flavour can be switched.

The examples below are skipped where this module's doctests run with the CPU tests (enabling the
device there would change that whole process); ``tests/test_fakegpu.py`` runs them, unskipped, in
its own fakegpu process.

>>> import torch
>>> device = enable()                                            # doctest: +SKIP
>>> x = torch.ones(2, 3, device=device)                          # doctest: +SKIP
>>> x.device                                                     # doctest: +SKIP
device(type='fakegpu', index=0)
>>> (x * 2).sum().item()                                         # doctest: +SKIP
12.0
>>> x + torch.ones(2, 3)                                         # doctest: +SKIP
Traceback (most recent call last):
RuntimeError: Expected all tensors to be on the same device, but found at least two devices, ...
>>> with torch.autocast(device.type, dtype=torch.float16):       # doctest: +SKIP
...     y = torch.nn.Linear(3, 2).to(device)(x)
>>> y.dtype                                                      # doctest: +SKIP
torch.float16
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils import _pytree as pytree

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

    def data_ptr(self) -> int:
        """The held CPU tensor's address: ``a.data_ptr() == b.data_ptr()`` says whether two device
        tensors share memory, as on CUDA (a wrapper has no storage of its own: it said 0 before)."""
        return self.host.data_ptr()

    def __deepcopy__(self, memo: dict) -> FakeDeviceTensor:
        # torch.Tensor.__deepcopy__ copies a wrapper subclass with clone() only while its data_ptr()
        # is 0 (no storage of its own); ours reports the held tensor's address, so copy it here.
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = FakeDeviceTensor(self.host.detach().clone(), requires_grad=self.requires_grad)
        if self.grad is not None:
            new.grad = copy.deepcopy(self.grad, memo)
        new.__dict__.update(copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "host"}, memo))
        memo[id(self)] = new
        return new

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        exempt, strict = _CPU_ARGS_OK.get(func, ()), _NO_CPU_SCALARS.get(func, ())
        inputs: dict[int, FakeDeviceTensor] = {}
        host_args = [_host(a, i not in exempt, func, inputs, i in strict) for i, a in enumerate(args)]
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
        out = _run_on_host(func, host_args, host_kwargs)
        if not wrap:
            return out
        keep = _CPU_OUTPUTS.get(func, ())
        if keep:
            return tuple(o if i in keep else _wrap(o, inputs, func) for i, o in enumerate(out))
        return _wrap(out, inputs, func)


def _host(x: Any, check: bool, func: Any, inputs: dict[int, FakeDeviceTensor], strict: bool = False) -> Any:
    """``x`` with device tensors replaced by their CPU tensors; refuses what CUDA refuses.

    A 0-dim CPU tensor passes as a scalar unless ``strict`` (an argument CUDA checks for its device
    whatever its size, such as the index of ``index_select``)."""
    if isinstance(x, FakeDeviceTensor):
        inputs[id(x.host)] = x
        return x.host
    if isinstance(x, torch.Tensor):
        if check and (x.dim() > 0 or strict) and x.device.type == "cpu":
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{NAME}:0 and cpu! (when checking arguments for {func}) [course_lib.fakegpu: a "
                f"real GPU fails here too; move the CPU tensor with .to(device)]")
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_host(i, check, func, inputs, strict) for i in x)
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
# Arguments that CUDA checks for their device even when they are 0-dim CPU tensors (ops without
# TensorIterator's scalar exemption): an index or a target that was never moved. {op: positions}
_NO_CPU_SCALARS: dict[Any, tuple[int, ...]] = {
    aten.embedding.default: (1,), aten.index_select.default: (2,), aten.gather.default: (2,),
    aten.take.default: (1,), aten.scatter.src: (2, 3), aten.scatter.value: (2,), aten.scatter_.src: (2, 3),
    aten.scatter_.value: (2,), aten.scatter_add.default: (2, 3), aten.scatter_add_.default: (2, 3),
    aten.index_add.default: (2, 3), aten.index_add_.default: (2, 3), aten.index_copy.default: (2, 3),
    aten.index_copy_.default: (2, 3), aten.nll_loss_forward.default: (1,),
    aten.nll_loss2d_forward.default: (1,),
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


def _no_nested_tensors(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(
        "course_lib.fakegpu does not simulate nested tensors, so it cannot run nn.TransformerEncoder's "
        "inference fast path (eval mode, no grad, a padding mask) with mask_check=False. Keep "
        "mask_check=True (the default: then the standard path runs here), or enable_nested_tensor=False.")


_CPU_STANDINS: dict[Any, Any] = {
    aten._thnn_fused_lstm_cell.default: _lstm_cell,
    aten._thnn_fused_lstm_cell_backward_impl.default: _lstm_cell_backward,
    aten._thnn_fused_gru_cell.default: _gru_cell,
    aten._thnn_fused_gru_cell_backward.default: _gru_cell_backward,
    # nn.TransformerEncoder (eval, no grad, padding mask) first asks whether the mask suits a nested
    # tensor, then converts the batch into one; a wrapper cannot hold a nested tensor. "No" makes it
    # take the standard path: the same outputs at every real token; at padded positions CUDA's fast
    # path returns zeros and this path the values computed there (code that masks them sees no
    # difference).
    aten._nested_tensor_from_mask_left_aligned.default: lambda *args, **kwargs: False,
    aten._nested_tensor_from_mask.default: _no_nested_tensors,
}


# Matrix products and convolutions in float16: a GPU's tensor cores multiply float16 inputs and
# accumulate in float32, then round the result to float16. The CPU's float16 kernels are ~10x slower
# than its float32 ones, so these run in float32 on the (float16-rounded) inputs and round back: the
# numbers of a float32-accumulating GPU kernel, at float32 speed.
_FLOAT32_ACCUMULATE = {
    aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default, aten.addbmm.default,
    aten.mv.default, aten.addmv.default, aten.convolution.default, aten.convolution_backward.default,
}


def _float16_only(tree: Any) -> bool:
    floats = [t for t in pytree.tree_leaves(tree) if isinstance(t, torch.Tensor) and t.is_floating_point()]
    return bool(floats) and all(t.dtype == torch.float16 for t in floats)


def _run_on_host(func: Any, args: list, kwargs: dict) -> Any:
    op = _CPU_STANDINS.get(func, func)
    if func in _FLOAT32_ACCUMULATE and _float16_only((args, kwargs)):   # mixed dtypes fail as on CUDA
        args, kwargs = pytree.tree_map_only(
            torch.Tensor, lambda t: t.float() if t.dtype == torch.float16 else t, (args, kwargs))
        return pytree.tree_map_only(
            torch.Tensor, lambda t: t.half() if t.dtype == torch.float32 else t, op(*args, **kwargs))
    return op(*args, **kwargs)


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


# -- mixed precision: CUDA's autocast policy for the AutocastPrivateUse1 key ----------------------
# PyTorch's C++ autocast lists register kernels for CUDA, CPU, MPS, XPU ... but none for a
# PrivateUse1 backend, which must bring its own. These are CUDA's lists (torch.amp's "CUDA Ops that
# can autocast to float16 / to float32 / that promote"); an op that is in none of them runs in the
# dtypes it is given (the fallthrough fallback), as on CUDA. Overloads that this torch lacks are
# left out.

_LOWER_PRECISION = (
    "_convolution.deprecated", "_convolution", "conv1d", "conv1d.padding", "conv2d", "conv2d.padding",
    "conv3d", "conv3d.padding", "conv_tbc", "conv_transpose1d", "conv_transpose2d.input",
    "conv_transpose3d.input", "convolution", "prelu", "addmm", "addmv", "addr", "matmul", "einsum", "mm",
    "mv", "linalg_vecdot", "linear", "addbmm", "baddbmm", "bmm", "chain_matmul", "linalg_multi_dot",
    "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell", "lstm_cell", "gru_cell", "rnn_tanh_cell",
    "rnn_relu_cell", "_scaled_dot_product_flash_attention", "scaled_dot_product_attention")
_FP32 = (
    "acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt",
    "sinh", "tan", "pow.Tensor_Scalar", "pow.Tensor_Tensor", "pow.Scalar", "softplus", "layer_norm",
    "native_layer_norm", "group_norm", "frobenius_norm.dim", "nuclear_norm", "nuclear_norm.dim",
    "cosine_similarity", "poisson_nll_loss", "cosine_embedding_loss", "nll_loss", "nll_loss2d",
    "hinge_embedding_loss", "kl_div", "l1_loss", "smooth_l1_loss", "huber_loss", "mse_loss",
    "margin_ranking_loss", "multilabel_margin_loss", "soft_margin_loss", "triplet_margin_loss",
    "multi_margin_loss", "binary_cross_entropy_with_logits", "dist", "pdist", "cdist", "renorm", "logsumexp",
    "norm.Scalar", "norm.ScalarOpt_dim",
    *(f"{op}{overload}" for op in ("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d",
                                   "_upsample_nearest_exact1d", "_upsample_nearest_exact2d",
                                   "_upsample_nearest_exact3d", "upsample_linear1d", "upsample_bilinear2d",
                                   "_upsample_bilinear2d_aa", "upsample_trilinear3d", "upsample_bicubic2d",
                                   "_upsample_bicubic2d_aa") for overload in ("", ".vec")))
_FP32_SET_OPT_DTYPE = (
    "prod", "prod.dim_int", "softmax.int", "log_softmax.int", "cumprod", "cumsum", "linalg_vector_norm",
    "linalg_matrix_norm", "linalg_matrix_norm.str_ord", "sum", "sum.dim_IntList")
_PROMOTE = ("addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "vdot", "grid_sampler", "index_put",
            "tensordot", "scatter_add", "cat", "stack", "index_copy")
_BCE_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast. [course_lib.fakegpu: CUDA's autocast refuses it too]")
_AUTOCAST_KEY = "AutocastPrivateUse1"


def _eligible(t: Any) -> bool:
    """What autocast may cast: a floating-point device tensor that is not float64."""
    return isinstance(t, torch.Tensor) and t.is_floating_point() and t.device.type == NAME \
        and t.dtype != torch.float64


def _cast(tree: Any, dtype: torch.dtype) -> Any:
    return pytree.tree_map_only(
        torch.Tensor, lambda t: t.to(dtype) if _eligible(t) and t.dtype != dtype else t, tree)


def _autocast_kernel(op: Any, policy: str) -> Any:
    exclude = torch._C.DispatchKeySet(getattr(torch._C.DispatchKey, _AUTOCAST_KEY))
    names = [a.name for a in op._schema.arguments]

    def kernel(*args: Any, **kwargs: Any) -> Any:
        with torch._C._ExcludeDispatchKeyGuard(exclude):
            if policy == "lower_precision":
                args, kwargs = _cast((args, kwargs), torch.get_autocast_dtype(NAME))
            elif policy == "fp32":
                args, kwargs = _cast((args, kwargs), torch.float32)
            elif policy == "promote":
                leaves = [t for t in pytree.tree_leaves((args, kwargs)) if _eligible(t)]
                widest = torch.float32 if any(t.dtype == torch.float32 for t in leaves) \
                    else torch.get_autocast_dtype(NAME)
                args, kwargs = _cast((args, kwargs), widest)
            elif _eligible(args[0]):   # fp32_set_opt_dtype: an output dtype of float32 unless one is given
                at = names.index("dtype")
                if at < len(args):
                    if args[at] is None:
                        args = (*args[:at], torch.float32, *args[at + 1:])
                elif kwargs.get("dtype") is None:
                    kwargs = {**kwargs, "dtype": torch.float32}
            return op(*args, **kwargs)
    return kernel


def _refuse_bce(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(_BCE_MESSAGE)


def _register_autocast(lib: torch.library.Library, fallback: torch.library.Library) -> None:
    fallback.fallback(torch.library.fallthrough_kernel, _AUTOCAST_KEY)
    for policy, names in (("lower_precision", _LOWER_PRECISION), ("fp32", _FP32),
                          ("fp32_set_opt_dtype", _FP32_SET_OPT_DTYPE), ("promote", _PROMOTE)):
        for name in names:
            packet, _, overload = name.partition(".")
            op = getattr(getattr(aten, packet, None), overload or "default", None)
            if op is not None:
                lib.impl(name, _autocast_kernel(op, policy), _AUTOCAST_KEY)
    lib.impl("binary_cross_entropy", _refuse_bce, _AUTOCAST_KEY)


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
    def get_amp_supported_dtype() -> list[torch.dtype]:
        """What ``torch.autocast("fakegpu", dtype=...)`` accepts: float16 (CUDA's) and bfloat16."""
        return [torch.float16, torch.bfloat16]

    @staticmethod
    def is_bf16_supported() -> bool:
        return True

    @staticmethod
    def synchronize(device: Any = None) -> None:
        """Wait for the device: nothing runs asynchronously here, so only count the call."""
        _syncs["synchronize"] += 1

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


def missing_requirements() -> list[str]:
    """The PyTorch extension points :func:`enable` needs and this torch lacks (empty: all there).

    >>> isinstance(missing_requirements(), list)   # [] on torch >= 2.9; the floor (2.4) lacks three
    True
    """
    from torch.utils import backend_registration

    needs = {
        "torch.utils.backend_registration._setup_privateuseone_for_python_backend":
            hasattr(backend_registration, "_setup_privateuseone_for_python_backend"),
        "torch._C._acc (Python hooks for a PrivateUse1 backend)": hasattr(torch._C, "_acc"),
        "torch.Tensor._make_wrapper_subclass": hasattr(torch.Tensor, "_make_wrapper_subclass"),
        "torch.library.Library.fallback": hasattr(torch.library.Library, "fallback"),
        "torch.library.fallthrough_kernel": hasattr(torch.library, "fallthrough_kernel"),
        "torch.get_autocast_dtype": hasattr(torch, "get_autocast_dtype"),
        f"dispatch key {_AUTOCAST_KEY}": hasattr(torch._C.DispatchKey, _AUTOCAST_KEY),
    }
    return [name for name, present in needs.items() if not present]


def enable(flavour: str | None = None) -> torch.device:
    """Register the ``fakegpu`` device in this process (once) and return ``device('fakegpu:0')``.

    ``flavour`` is ``"cuda"`` (default) or ``"mps"`` (also refuses float64 and sparse tensors on
    the device); calling again with another flavour switches it.

    Inside a pytest run it refuses unless ``COURSE_DEVICE`` names the simulated device: a test
    process that enables it stays changed for every later test (see the module docstring).

    Example (in a process of its own)::

        device = enable()        # device(type='fakegpu', index=0)
    """
    if flavour is not None:
        if flavour not in FLAVOURS:
            raise ValueError(f"Unknown fakegpu flavour {flavour!r}: choose one of {', '.join(FLAVOURS)}.")
        _state["flavour"] = flavour
    if not _state["enabled"]:
        asked = os.environ.get("COURSE_DEVICE", "").strip().lower().split(":")[0]
        if "PYTEST_CURRENT_TEST" in os.environ and asked not in ("fakegpu", "fakemps"):
            raise RuntimeError(
                "course_lib.fakegpu.enable() was called in a pytest process that does not run on the "
                "simulated device (COURSE_DEVICE is not fakegpu/fakemps). Enabling it cannot be undone "
                "and would change every later test in this process; run such tests in a process of "
                "their own, as tests/test_fakegpu.py does.")
        missing = missing_requirements()
        if missing:
            raise RuntimeError(
                f"course_lib.fakegpu cannot run on torch {torch.__version__}: it lacks {'; '.join(missing)}. "
                "The simulated accelerator is built from those PyTorch extension points (it is tested with "
                "torch 2.14). Upgrade torch, or unset COURSE_DEVICE to run on a real device or the CPU.")
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
        fallback = torch.library.Library("_", "IMPL")
        _register_autocast(lib, fallback)
        _state["lib"], _state["fallback"] = lib, fallback
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
    ``float(t)``, ``f"{t:.3f}"``), ``to_cpu`` (device -> host copies: ``.cpu()``, ``.tolist()``) and
    ``synchronize`` (``torch.fakegpu.synchronize()``, which ``course_lib.device.synchronize`` calls).

    On a real GPU each one makes the CPU wait for the GPU; one per training step is fine, one per
    sample is slow.
    """
    return {"item": _syncs["item"], "to_cpu": _syncs["to_cpu"], "synchronize": _syncs["synchronize"]}


def reset_sync_counts() -> None:
    """Set the counters of :func:`sync_counts` to zero."""
    _syncs.clear()
