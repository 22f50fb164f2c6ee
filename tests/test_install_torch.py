"""scripts/install_torch.py: which torch a fresh venv gets (issue 23). Offline: the only server is on
127.0.0.1 (tests/netutil.py), and pip is never run."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from netutil import Route, serve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import install_torch  # noqa: E402

SIMPLE_PAGE = b'<html><a href="torch-2.14.1%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl">w</a></html>'


def no_gpu() -> bool:
    return False


def gpu() -> bool:
    return True


def never(*args, **kwargs):
    raise AssertionError("asked about the GPU where the answer cannot matter")


# -- The decision ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_auto_takes_the_cpu_build_on_linux_without_an_nvidia_gpu(machine):
    assert install_torch.decide("auto", "Linux", machine, has_gpu=no_gpu)[0] == "cpu"
    choice, why = install_torch.decide("auto", "Linux", machine, has_gpu=gpu)
    assert choice == "default" and "NVIDIA GPU" in why


@pytest.mark.parametrize("system, machine", [("Darwin", "arm64"), ("Darwin", "x86_64"), ("Windows", "AMD64"),
                                             ("Linux", "ppc64le")])
def test_auto_takes_pypis_default_where_it_is_not_a_cuda_build_or_no_cpu_wheel_exists(system, machine):
    assert install_torch.decide("auto", system, machine, has_gpu=never)[0] == "default"


@pytest.mark.parametrize("choice", ["cpu", "default", "CPU", " default "])
def test_cpu_and_default_are_taken_as_asked(choice):
    want = choice.strip().lower()
    for system, machine, has_gpu in [("Linux", "x86_64", gpu), ("Linux", "x86_64", no_gpu),
                                     ("Darwin", "arm64", gpu)]:
        assert install_torch.decide(choice, system, machine, has_gpu=has_gpu)[0] == want


@pytest.mark.parametrize("choice", ["cuda", "gpu", "", "cpu,default"])
def test_an_unknown_choice_is_a_clear_error(choice, capsys, monkeypatch):
    with pytest.raises(ValueError, match="not one of auto, cpu, default"):
        install_torch.decide(choice, "Linux", "x86_64", has_gpu=no_gpu)
    monkeypatch.setattr(install_torch, "installed_torch", lambda: "2.14.1")  # checked before anything else
    assert install_torch.main([choice], env={}) == 2
    err = capsys.readouterr().err
    assert f"TORCH={choice!r} is not one of auto, cpu, default" in err


class FakeRun:
    def __init__(self, stdout: str = "", returncode: int = 0, error: Exception | None = None):
        self.stdout, self.returncode, self.error, self.calls = stdout, returncode, error, []

    def __call__(self, cmd, **kwargs):
        self.calls.append(cmd)
        if self.error:
            raise self.error
        return subprocess.CompletedProcess(cmd, self.returncode, stdout=self.stdout, stderr="")


def test_a_gpu_is_visible_when_nvidia_smi_lists_one_or_the_driver_shows_one(tmp_path):
    empty = tmp_path / "gpus"
    empty.mkdir()
    smi = FakeRun("GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\n")
    assert install_torch.gpu_visible(which=lambda name: "/usr/bin/nvidia-smi", run=smi, proc_dir=empty)
    assert smi.calls == [["/usr/bin/nvidia-smi", "-L"]]
    # nvidia-smi without a GPU (a container with the tools but no device), failing, hanging or absent
    smi_path = lambda name: "/usr/bin/nvidia-smi"  # noqa: E731
    for run in (FakeRun("No devices were found\n", returncode=6), FakeRun("", returncode=0),
                FakeRun(error=subprocess.TimeoutExpired("nvidia-smi", 10)),
                FakeRun(error=OSError("exec format error"))):
        assert not install_torch.gpu_visible(which=smi_path, run=run, proc_dir=empty)
    assert not install_torch.gpu_visible(which=lambda name: None, run=never, proc_dir=tmp_path / "absent")
    (empty / "0000:65:00.0").mkdir()
    assert install_torch.gpu_visible(which=lambda name: None, run=never, proc_dir=empty)


# -- The probe and what it leads to ------------------------------------------------------------------------

@pytest.fixture
def offline_proxies(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_probe_asks_the_index_for_torchs_page(offline_proxies):
    with serve({"/simple/torch/": Route(SIMPLE_PAGE)}) as srv:
        assert install_torch.probe(srv.url("/simple")) is None
        assert srv.log == ["/simple/torch/"]
        assert "HTTP 404" in install_torch.probe(srv.url("/other"))    # an index without torch
    with serve({"/slow/torch/": Route(SIMPLE_PAGE, delay=5)}) as srv:
        assert "unreachable" in install_torch.probe(srv.url("/slow"), timeout=0.3)
    reason = install_torch.probe(f"http://127.0.0.1:{closed_port()}/whl/cpu")
    assert reason and "unreachable" in reason


@pytest.fixture
def fresh_linux_venv(monkeypatch):
    """main() on Linux x86_64 without a GPU and without torch; pip is a fake that records its commands."""
    state = {"torch": None}
    monkeypatch.setattr(install_torch, "installed_torch", lambda: state["torch"])
    monkeypatch.setattr(install_torch.platform, "system", lambda: "Linux")
    monkeypatch.setattr(install_torch.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(install_torch, "gpu_visible", no_gpu)
    pip = FakeRun()
    monkeypatch.setattr(install_torch.subprocess, "run", pip)
    return pip, state


def test_an_unreachable_index_falls_back_to_pypis_default_in_one_line(fresh_linux_venv, offline_proxies,
                                                                      capsys):
    pip, _ = fresh_linux_venv
    index = f"http://127.0.0.1:{closed_port()}/whl/cpu"
    assert install_torch.main(["auto"], env={"TORCH_INDEX_URL": index}) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("install_torch: TORCH=auto -> cpu (Linux x86_64 without an NVIDIA GPU)")
    fallback = [line for line in out if "falling back" in line]
    assert len(fallback) == 1 and index in fallback[0] and "unreachable" in fallback[0]
    assert "PyPI's default torch" in fallback[0] and "GB" in fallback[0]
    assert pip.calls == []


def test_the_cpu_choice_installs_torch_and_torchvision_from_the_index(fresh_linux_venv, offline_proxies,
                                                                      capsys):
    pip, state = fresh_linux_venv
    with serve({"/whl/cpu/torch/": Route(SIMPLE_PAGE)}) as srv:
        index = srv.url("/whl/cpu")
        for choice in ("auto", "cpu"):
            pip.calls.clear()
            assert install_torch.main([choice], env={"TORCH_INDEX_URL": index + "/"}) == 0
            [cmd] = pip.calls
            assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
            assert cmd[cmd.index("--index-url") + 1] == index and "--extra-index-url" not in cmd
            assert [a for a in cmd if a.startswith("torch")] == install_torch.requirements()
    assert "falling back" not in capsys.readouterr().out
    pip.returncode = 1                                         # e.g. no wheel for this Python there
    with serve({"/whl/cpu/torch/": Route(SIMPLE_PAGE)}) as srv:
        assert install_torch.main(["cpu"], env={"TORCH_INDEX_URL": srv.url("/whl/cpu")}) == 0
    assert "pip could not install torch" in capsys.readouterr().out


def test_the_cpu_index_is_pytorchs_unless_torch_index_url_says_otherwise(fresh_linux_venv, monkeypatch):
    pip, _ = fresh_linux_venv
    probed = []
    monkeypatch.setattr(install_torch, "probe", lambda index: probed.append(index))
    assert install_torch.main(["cpu"], env={}) == 0
    assert probed == ["https://download.pytorch.org/whl/cpu"]
    assert pip.calls[0][pip.calls[0].index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert install_torch.index_url({"TORCH_INDEX_URL": "https://mirror.example/cpu/"}) == "https://mirror.example/cpu"


def test_default_and_an_installed_torch_install_nothing(fresh_linux_venv, monkeypatch, capsys):
    pip, state = fresh_linux_venv
    monkeypatch.setattr(install_torch, "probe", never)
    assert install_torch.main(["default"], env={}) == 0
    assert "TORCH=default (asked for): PyPI's default torch" in capsys.readouterr().out
    monkeypatch.setattr(install_torch, "gpu_visible", gpu)
    assert install_torch.main(["auto"], env={}) == 0
    assert "TORCH=auto -> default (Linux x86_64 with an NVIDIA GPU" in capsys.readouterr().out
    state["torch"] = "2.14.1"
    for choice in ("auto", "cpu"):
        assert install_torch.main([choice], env={}) == 0
        assert "torch 2.14.1 is already installed in this venv: kept" in capsys.readouterr().out
    assert pip.calls == []


def test_the_requirements_are_pyprojects_floors(tmp_path):
    reqs = install_torch.requirements()
    assert [re.match(r"[a-z]+", r).group() for r in reqs] == ["torch", "torchvision"]
    assert all(re.fullmatch(r"torch(vision)?>=\d+(\.\d+)+", r) for r in reqs), reqs   # floors, not pins
    fake = tmp_path / "pyproject.toml"
    fake.write_text('dependencies = [\n    "torch_geometric>=2.5",\n    "torchvision >= 0.20.1",\n'
                    '    "torch>=2.5.1",\n]\n')
    assert install_torch.requirements(fake) == ["torch>=2.5.1", "torchvision>=0.20.1"]
    fake.write_text('dependencies = ["numpy"]\n')
    assert install_torch.requirements(fake) == ["torch", "torchvision"]


# -- The Makefile -------------------------------------------------------------------------------------------

def test_both_install_recipes_choose_torch_before_installing_the_course():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^TORCH \?= auto$", makefile, re.M)
    for target in ("$(STAMP)", "$(LAB_STAMP)"):
        recipe = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t.*\n)+)", makefile, re.M).group(1)
        lines = recipe.splitlines()
        choose = next(i for i, line in enumerate(lines) if "scripts/install_torch.py $(TORCH)" in line)
        course = next(i for i, line in enumerate(lines) if re.search(r"pip install --quiet -e ", line))
        upgrade = next(i for i, line in enumerate(lines) if "--upgrade pip" in line)
        assert upgrade < choose < course, target
        assert lines[choose].lstrip().startswith("$(BIN)/python "), "run with the venv's python"
