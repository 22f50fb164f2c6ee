"""Put torch into a fresh venv before the course is installed: PyTorch's CPU build where no GPU can use CUDA.

    .venv/bin/python scripts/install_torch.py auto     # the Makefile runs it: make lab TORCH=auto|cpu|default

On Linux, PyPI's torch is the CUDA build and brings NVIDIA's libraries and triton (torch 2.14.1 for Python
3.11 on x86_64: about 3.0 GB of wheels, 5.3 GB installed), even on a machine with no NVIDIA GPU. PyTorch
publishes CPU-only wheels on its own package index (https://download.pytorch.org/whl/cpu, the index its
install page gives for `pip3 install torch torchvision --index-url ...`): about 0.2 GB. The choices:

    auto     cpu on Linux x86_64/aarch64 when no NVIDIA GPU is visible (no `nvidia-smi -L` that lists a GPU,
             nothing in /proc/driver/nvidia/gpus/); default elsewhere: macOS's and Windows' PyPI wheels are
             already CPU (and MPS) builds, and a Linux machine with a GPU wants CUDA
    cpu      torch and torchvision from the CPU index (the newest that pyproject.toml's floors allow), so
             that the `pip install -e .` that follows finds them installed. Both: PyPI's Linux torchvision
             is linked against the CUDA torch's libraries and does not load with a CPU torch. When the index
             does not answer within PROBE_TIMEOUT_S, or that pip step fails, it says so in one line and the
             install goes on with PyPI's default build (no CPU index is not an error: CI has none).
    default  nothing here: `pip install -e .` takes torch from PyPI as it always did

A venv that already has torch is left as it is (whichever build it is): the choice applies to a fresh venv.
TORCH_INDEX_URL overrides the CPU index, as it does for scripts/floor_lane.sh and scripts/test_torchtext.sh.

Why installing first works: the CPU wheels carry a local version label (2.14.1+cpu). PEP 440 ignores local
labels when a specifier has none, so the course's `torch>=2.4.1` and torchvision's `torch==2.14.1` are both
satisfied by 2.14.1+cpu, and pip's default upgrade strategy (only-if-needed) keeps it. Stdlib only: it runs
before anything else is installed.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

CHOICES = ("auto", "cpu", "default")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_TIMEOUT_S = 10
#: Linux machines whose CPU wheels PyTorch publishes.
CPU_WHEEL_MACHINES = {"x86_64", "aarch64"}
NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
#: What each choice downloads (README.md, Quickstart: measured 2026-12-07, Python 3.11, Linux x86_64).
DEFAULT_SIZE = "about 3.0 GB of wheels on Linux x86_64: torch with CUDA, NVIDIA's libraries and triton"
CPU_SIZE = "about 0.2 GB"


def say(message: str) -> None:
    print(f"install_torch: {message}", flush=True)


def index_url(env=os.environ) -> str:
    return (env.get("TORCH_INDEX_URL") or CPU_INDEX).rstrip("/")


def gpu_visible(which=shutil.which, run=subprocess.run, proc_dir: Path = NVIDIA_PROC) -> bool:
    """Whether this machine shows an NVIDIA GPU: the driver lists one, or `nvidia-smi -L` does."""
    try:
        if any(proc_dir.iterdir()):
            return True
    except OSError:
        pass
    smi = which("nvidia-smi")
    if smi is None:
        return False
    try:
        proc = run([smi, "-L"], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and any(line.startswith("GPU ") for line in proc.stdout.splitlines())


def normalise(choice: str) -> str:
    """``choice`` in lower case, or a ValueError that names the choices."""
    if choice.strip().lower() not in CHOICES:
        raise ValueError(f"TORCH={choice!r} is not one of {', '.join(CHOICES)}")
    return choice.strip().lower()


def decide(choice: str, system: str, machine: str, has_gpu=None) -> tuple[str, str]:
    """(``"cpu"`` or ``"default"``, why) for TORCH=choice; ``has_gpu`` (default: gpu_visible) is asked only
    when the answer matters."""
    choice = normalise(choice)
    if choice != "auto":
        return choice, "asked for"
    if system != "Linux":
        build = "CPU/MPS" if system == "Darwin" else "CPU"
        return "default", f"{system}: PyPI's torch is already a {build} build"
    if machine not in CPU_WHEEL_MACHINES:
        return "default", f"Linux {machine}: no CPU wheels for it on PyTorch's index"
    if (has_gpu or gpu_visible)():
        return "default", f"Linux {machine} with an NVIDIA GPU: PyPI's CUDA build"
    return "cpu", f"Linux {machine} without an NVIDIA GPU"


def probe(index: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when ``index`` serves torch's page (PEP 503: <index>/torch/), else why not."""
    url = f"{index}/torch/"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(1)
    except urllib.error.HTTPError as exc:
        return f"{url} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url} is unreachable ({reason})"
    return None


def requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """pyproject.toml's torch and torchvision requirements (their floors), or the bare names."""
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    found = {}
    for name, spec in re.findall(r'^\s*"(torch|torchvision)\s*([<>=!~][^";]*)?"', text, re.M):
        found.setdefault(name, name + re.sub(r"\s+", "", spec))
    return [found.get(name, name) for name in ("torch", "torchvision")]


def pip_command(index: str, reqs: list[str], python: str = sys.executable) -> list[str]:
    return [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--index-url", index, *reqs]


def installed_torch() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def fall_back(why: str) -> int:
    say(f"{why}: falling back to PyPI's default torch ({DEFAULT_SIZE})")
    return 0


def main(argv: list[str] | None = None, env=os.environ) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    requested = args[0] if args else env.get("TORCH", "auto")
    try:
        requested = normalise(requested)
    except ValueError as exc:
        print(f"install_torch: {exc} (make lab TORCH=auto|cpu|default)", file=sys.stderr)
        return 2
    version = installed_torch()
    if version is not None:
        say(f"torch {version} is already installed in this venv: kept "
            f"(TORCH={requested} applies to a fresh venv)")
        return 0
    choice, why = decide(requested, platform.system(), platform.machine())
    taken = f"TORCH={requested}" + (f" -> {choice}" if choice != requested else "") + f" ({why})"
    if choice == "default":
        say(f"{taken}: PyPI's default torch, installed with the course")
        return 0
    index = index_url(env)
    reqs = requirements()
    say(f"{taken}: PyTorch's CPU build, {' '.join(reqs)} from {index} ({CPU_SIZE})")
    unreachable = probe(index)
    if unreachable:
        return fall_back(f"the CPU index {unreachable}")
    proc = subprocess.run(pip_command(index, reqs))
    if proc.returncode != 0:
        return fall_back(f"pip could not install torch from {index} (exit {proc.returncode})")
    say(f"torch {installed_torch() or '?'} installed from {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
