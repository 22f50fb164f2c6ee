"""``python -m course_lib doctor``: is this machine ready for the course?

Checks Python, torch and torchvision, the accelerators (CUDA/cuDNN, MPS), the versions of the
course's packages, the offline data sources and torchtext's status. Exits non-zero, with the
fix, when something required is missing.

>>> rows, ok = run_checks()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import platform
import subprocess
import sys
from dataclasses import dataclass

MIN_PYTHON = (3, 10)

#: (import name, distribution name, required?)
PACKAGES = [
    ("torch", "torch", True),
    ("torchvision", "torchvision", True),
    ("jupyterlab", "jupyterlab", True),
    ("matplotlib", "matplotlib", True),
    ("networkx", "networkx", True),
    ("numpy", "numpy", True),
    ("sklearn", "scikit-learn", True),
    ("skimage", "scikit-image", True),
    ("tensorboard", "tensorboard", True),
    ("tqdm", "tqdm", True),
    ("torch_geometric", "torch_geometric", True),
    ("sacrebleu", "sacrebleu", True),
    ("platformdirs", "platformdirs", True),
    ("nbval", "nbval", False),
]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def torchtext_status() -> str:
    """torchtext is optional and dead upstream; say what state it is in, without crashing.

    It is probed in a subprocess because its native library can abort the interpreter.
    """
    if importlib.util.find_spec("torchtext") is None:
        return "not installed (fine: course_lib.text provides the pieces the course uses)"
    probe = subprocess.run([sys.executable, "-c", "import torchtext"], capture_output=True,
                           text=True, timeout=120)
    version = _version("torchtext")
    if probe.returncode == 0:
        return f"{version} imports (legacy lane)"
    return (f"{version} installed but does not load on this torch (expected: torchtext is "
            "unmaintained); use course_lib.text or `make test-torchtext`")


def data_dir_check() -> Check:
    """Where does the course write its caches, models and results, why there, and is it writable?

    (A read-only folder would fail later, in the middle of a notebook.)
    """
    import tempfile

    from .config import data_location

    location = data_location()
    folder = location.path
    fix = ("make the folder writable, or point COURSE_DATA_DIR at a folder you can write "
           "(e.g. export COURSE_DATA_DIR=~/course-data)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", delete=True) as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError as err:
        return Check("data folder", False, f"{folder} is not writable ({err.strerror or err}; "
                     f"{location.why()})", fix)
    return Check("data folder", True, f"{folder} (writable; {location.why()})")


def run_checks() -> tuple[list[Check], bool]:
    """Run every check; return the rows and whether all required ones passed."""
    rows: list[Check] = []
    py_ok = sys.version_info[:2] >= MIN_PYTHON
    rows.append(Check("python", py_ok, platform.python_version(),
                      "install Python 3.10 or newer (e.g. conda env create -f environment.yml)"))
    for module, dist, required in PACKAGES:
        version = _version(dist) if importlib.util.find_spec(module) else None
        rows.append(Check(dist, version is not None, version or "missing",
                          f'pip install -e ".[dev]"  (or: pip install {dist})', required))
    if importlib.util.find_spec("torch"):
        import torch

        cuda = torch.cuda.is_available()
        detail = (f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
                  f"{torch.cuda.get_device_name(0)}" if cuda else
                  f"not available (torch built with CUDA {torch.version.cuda or 'none'})")
        rows.append(Check("cuda", True, detail, required=False))
        mps = getattr(torch.backends, "mps", None)
        rows.append(Check("mps", True, "available" if mps and mps.is_available() else "not available",
                          required=False))
        from .device import get_device

        try:
            rows.append(Check("course device", True, str(get_device())))
        except (ValueError, RuntimeError) as err:
            rows.append(Check("course device", False, str(err), "unset or fix COURSE_DEVICE"))
    from .data.sources import OFFLINE_SOURCES, offline_status

    for name, present in offline_status().items():
        _pkg, pip_name, desc = OFFLINE_SOURCES[name]
        rows.append(Check(f"data: {name}", present, desc if present else "missing",
                          f"pip install {pip_name}"))
    rows.append(Check("torchtext", True, torchtext_status(), required=False))
    rows.append(data_dir_check())
    ok = all(r.ok for r in rows if r.required)
    return rows, ok


def main() -> int:
    """Print the checks as a table; return 0 when ready, 1 otherwise."""
    rows, ok = run_checks()
    width = max(len(r.name) for r in rows)
    for r in rows:
        mark = "ok " if r.ok else ("!! " if r.required else "-- ")
        print(f"{mark} {r.name:<{width}}  {r.detail}")
        if not r.ok:
            print(f"    {'':<{width}}  fix: {r.fix}")
    print("\nReady for the course." if ok else "\nSomething required is missing: see the 'fix' lines above.")
    return 0 if ok else 1
