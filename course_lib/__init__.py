"""course_lib — the tested companion package of the course "PyTorch, from tensors to graphs".

>>> import course_lib as cl
>>> device = cl.get_device()
>>> g = cl.seed_everything(0)
>>> epochs = cl.pick(full=20, fast=3)
"""

from . import report as _report  # noqa: F401  (starts the notebook timer early)
from .config import cache_dir, data_dir, is_fast, is_offline, pick
from .device import get_device
from .seed import seed_everything

__version__ = "0.1.0"

#: True in fast mode (``COURSE_FAST=1``), read once at import.
FAST: bool = is_fast()

__all__ = ["FAST", "cache_dir", "data_dir", "get_device", "is_fast", "is_offline", "pick",
           "seed_everything", "__version__"]
