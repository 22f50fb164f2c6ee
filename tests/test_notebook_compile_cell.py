"""Notebook 15's `torch.compile` cell skips only what it names: an unsupported platform or a missing
toolchain (no C++ compiler, no Triton). Any other error must stop the cell, not become "not available"."""

from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path

import pytest
import torch
import torch._dynamo
import torch._dynamo.exc
import torch._inductor.exc

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "15_scaling_and_shipping.ipynb"
CELL_ID = "2489e793"


def cell_code() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c.get("id") == CELL_ID)["source"])


def run_cell(monkeypatch, error: BaseException | None, *, platform_ok: bool = True) -> str:
    """Run the cell with torch.compile raising ``error`` (None: a working eager stand-in)."""
    def fake_compile(model, backend=None):
        if error is not None:
            raise error
        return model

    monkeypatch.setattr(torch, "compile", fake_compile)
    monkeypatch.setattr(torch._dynamo, "is_dynamo_supported", lambda: platform_ok)
    model = torch.nn.Linear(4, 2).eval()
    x = torch.randn(3, 4)
    printed: list[str] = []
    namespace = {"torch": torch, "sys": sys, "time": time, "model": model, "x": x, "ref": model(x).detach(),
                 "t_fp32": 1.0, "repeats": 1, "device": torch.device("cpu"),
                 "cl": types.SimpleNamespace(pick=lambda full, fast: fast),
                 "median_seconds": lambda fn, device, repeats: 0.001,
                 "print": lambda *args, **kwargs: printed.append(" ".join(map(str, args)))}
    exec(compile(cell_code(), f"{NOTEBOOK.name}:{CELL_ID}", "exec"), namespace)
    return "\n".join(printed)


def compiler_failed(inner: BaseException) -> BaseException:
    """Dynamo's wrapper around a backend's error (torch 2.4 takes two arguments, newer releases three)."""
    try:
        return torch._dynamo.exc.BackendCompilerFailed(lambda: None, inner, None)
    except TypeError:
        return torch._dynamo.exc.BackendCompilerFailed(lambda: None, inner)


def toolchain_errors() -> list[BaseException]:
    missing = torch._inductor.exc.InvalidCxxCompiler()
    return [missing, compiler_failed(missing)]


def test_a_working_compile_is_timed_and_checked(monkeypatch):
    out = run_cell(monkeypatch, None)
    assert "compiled output matches eager" in out and "compiled (aot_eager)" in out


@pytest.mark.parametrize("index", [0, 1], ids=["bare", "wrapped-by-dynamo"])
def test_a_missing_compiler_is_skipped_by_name(monkeypatch, index):
    out = run_cell(monkeypatch, toolchain_errors()[index])
    assert "needs a toolchain this machine lacks (InvalidCxxCompiler" in out and "eager" in out


def test_an_unsupported_platform_is_skipped(monkeypatch):
    assert "does not support this platform" in run_cell(monkeypatch, AssertionError("never called"),
                                                        platform_ok=False)


def test_any_other_error_stops_the_cell(monkeypatch):
    with pytest.raises(TypeError, match="a real bug"):
        run_cell(monkeypatch, TypeError("a real bug"))
    wrapped = compiler_failed(ValueError("bad graph"))
    with pytest.raises(torch._dynamo.exc.BackendCompilerFailed, match="bad graph"):
        run_cell(monkeypatch, wrapped)
