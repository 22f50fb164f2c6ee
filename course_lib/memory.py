"""How much tensor memory a piece of PyTorch code holds, on any device (taught in notebook 15).

On a GPU, ``torch.cuda.max_memory_allocated`` answers that; on a CPU nothing does (the process's
resident size also counts the allocator's caches and everything else). :class:`TensorMemory` counts
it itself, the same way on every device: as a ``TorchDispatchMode`` it sees every tensor operation
run inside it, records each *new* storage an operation creates (not the storage of one of its inputs:
a view, an in-place result, a parameter) with its size in bytes, and keeps a weak reference to it, so
it knows when the storage is freed. ``live()`` is the bytes of those storages still alive now;
``peak`` the largest ``live()`` seen after any operation.

>>> import torch
>>> w = torch.randn(256, 256, requires_grad=True)
>>> with TensorMemory() as mem:
...     h = (torch.randn(64, 256) @ w).relu()  # saved for backward: the input (for w's gradient)
...     held = mem.live()                      # and relu's result, 64 x 256 floats = 64 kB each
...     h.sum().backward()                     # w.grad: 256 kB more, allocated in backward
>>> held, mem.peak >= held + 256 * 256 * 4
(131072, True)
"""

from __future__ import annotations

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode, is_traceable_wrapper_subclass
from torch.utils._pytree import tree_leaves


def _storages(tree) -> list[torch.UntypedStorage]:
    """The storages holding the tensors of ``tree``; a wrapper tensor subclass (such as the simulated
    accelerator's, ``course_lib.fakegpu``) has none of its own: those of the tensors it wraps count."""
    found = []
    for t in tree_leaves(tree):
        if is_traceable_wrapper_subclass(t):
            names, _ = t.__tensor_flatten__()
            found += _storages([getattr(t, name) for name in names])
        elif isinstance(t, torch.Tensor):
            found.append(t.untyped_storage())
    return found


class TensorMemory(TorchDispatchMode):
    """Bytes of the tensors created inside the ``with`` block that are still alive (``live()``), and
    the most that were alive at once (``peak``). Tensors created before the block do not count."""

    def __init__(self) -> None:
        super().__init__()
        self._alive: dict[int, tuple[StorageWeakRef, int]] = {}
        self.peak = 0

    def live(self) -> int:
        """Bytes of the storages created inside the block and not yet freed."""
        for key in [k for k, (ref, _) in self._alive.items() if ref.expired()]:
            del self._alive[key]
        return sum(nbytes for _, nbytes in self._alive.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {s.data_ptr() for s in _storages((args, kwargs))}
        for storage in _storages(out):
            key = storage.data_ptr()
            if key in inputs or storage.nbytes() == 0:
                continue  # a view or an in-place result: no new memory
            known = self._alive.get(key)
            if known is None or known[0].expired():
                self._alive[key] = (StorageWeakRef(storage), storage.nbytes())
        self.peak = max(self.peak, self.live())
        return out
