"""Safe, atomic checkpoints."""

import os
import pickle

import pytest
import torch

from course_lib.checkpoint import (
    NotACheckpointError,
    UnsafeCheckpointError,
    atomic_save,
    load_checkpoint,
    safe_load,
    save_checkpoint,
)


class Evil:
    """Unpickling this would run a shell command (we never let it)."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/course_lib_pwned",))


def test_round_trip(tmp_path):
    model, opt = torch.nn.Linear(3, 2), None
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, epoch=5, extra={"classes": ["a", "b"]})
    fresh = torch.nn.Linear(3, 2)
    fresh_opt = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    payload = load_checkpoint(tmp_path / "c.pt", model=fresh, optimizer=fresh_opt)
    assert payload["epoch"] == 5 and payload["extra"]["classes"] == ["a", "b"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), fresh.state_dict().values()))
    assert fresh_opt.state_dict()["state"][0]["momentum_buffer"] is not None


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"model": Evil()}, fh)
    with pytest.raises(UnsafeCheckpointError, match="Refusing to load"):
        load_checkpoint(path)
    assert not os.path.exists("/tmp/course_lib_pwned")


def test_malicious_torch_save_is_refused(tmp_path):
    path = tmp_path / "evil2.pt"
    torch.save({"format": "course_lib.checkpoint/1", "model": Evil()}, path)
    with pytest.raises(UnsafeCheckpointError):
        safe_load(path)


def test_plain_state_dict_is_not_a_checkpoint(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "sd.pt")
    assert set(safe_load(tmp_path / "sd.pt")) == {"weight", "bias"}
    with pytest.raises(NotACheckpointError, match="not a course_lib checkpoint"):
        load_checkpoint(tmp_path / "sd.pt")


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train first"):
        load_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"this is not a torch file")
    with pytest.raises((NotACheckpointError, UnsafeCheckpointError)):
        load_checkpoint(tmp_path / "junk.pt")


def test_atomic_save_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "c.pt"
    atomic_save({"x": torch.ones(1)}, path)

    class Boom:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_save({"x": Boom()}, path)
    assert torch.equal(safe_load(path)["x"], torch.ones(1))
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temp files left behind


def test_extra_with_numpy_and_paths_reads_back(tmp_path):
    from pathlib import Path

    import numpy as np

    path = tmp_path / "c.pt"
    save_checkpoint(path, model=torch.nn.Linear(2, 1), epoch=np.int64(3),
                    extra={"acc": np.float64(0.93), "where": Path("/tmp/x"), "hist": [np.float32(0.5)],
                           "arr": np.arange(3), "nested": {"n": np.int32(7), "t": (np.bool_(True), 1)}})
    payload = load_checkpoint(path)  # the point: our own file must be readable with weights_only=True
    extra = payload["extra"]
    assert payload["epoch"] == 3 and extra["acc"] == 0.93 and isinstance(extra["acc"], float)
    assert extra["where"] == "/tmp/x" and extra["nested"] == {"n": 7, "t": (True, 1)}
    assert torch.equal(extra["arr"], torch.arange(3))


def test_extra_with_an_object_names_the_key_and_writes_nothing(tmp_path):
    class Config:
        pass

    path = tmp_path / "c.pt"
    with pytest.raises(TypeError, match=r"extra\['cfg'\]\['opt'\].*Config"):
        save_checkpoint(path, model=torch.nn.Linear(2, 1), extra={"cfg": {"opt": Config()}})
    assert not path.exists()
