"""course_lib — the tested companion package of the course "PyTorch, from tensors to graphs".

>>> import course_lib as cl
>>> device = cl.get_device()
>>> g = cl.seed_everything(0)
>>> epochs = cl.pick(full=20, fast=3)
"""

from __future__ import annotations

from typing import Any

from . import report as _report  # noqa: F401  (starts the notebook timer early; imports no torch)
from .config import cache_dir, data_dir, is_fast, is_offline, pick

__version__ = "0.1.0"

# torch is imported on first use of these names, not by `import course_lib`: the command line
# (`report`, `doctor`) stays fast and light, and `doctor` can report a broken torch install.
_LAZY = {"get_device": ".device", "seed_everything": ".seed", "course_seed": ".seed"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")

#: True in fast mode (``COURSE_FAST=1``), read once at import.
FAST: bool = is_fast()

__all__ = ["FAST", "cache_dir", "data_dir", "get_device", "is_fast", "is_offline", "pick",
           "seed_everything", "course_seed", "__version__"]
