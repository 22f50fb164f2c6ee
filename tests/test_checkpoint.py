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


# -- Numbered checkpoints of a job that must survive being killed (course_lib.ddp_train --ckpt-dir) -----

def _three_checkpoints(folder):
    from course_lib.checkpoint import save_step_checkpoint

    for step in (10, 20, 30):
        model = torch.nn.Linear(2, 1)
        torch.nn.init.constant_(model.weight, float(step))
        save_step_checkpoint(folder, step, keep=3, model=model, extra={"step": step})


def test_the_newest_intact_checkpoint_is_used(tmp_path):
    from course_lib.checkpoint import latest_good_checkpoint

    assert latest_good_checkpoint(tmp_path) is None  # an empty folder: a fresh start, said by None
    _three_checkpoints(tmp_path)
    path, payload = latest_good_checkpoint(tmp_path)
    assert path.name == "step_00000030.pt" and payload["extra"]["step"] == 30


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "no digest", "digest of another file"])
def test_a_damaged_newest_checkpoint_is_reported_and_skipped(tmp_path, damage):
    from course_lib.checkpoint import latest_good_checkpoint

    _three_checkpoints(tmp_path)
    newest = tmp_path / "step_00000030.pt"
    data = newest.read_bytes()
    if damage == "flip a byte":
        middle = len(data) // 2
        newest.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    elif damage == "cut short":
        newest.write_bytes(data[: len(data) // 3])  # what a writer killed mid-copy leaves
    elif damage == "no digest":
        (tmp_path / "step_00000030.pt.sha256").unlink()  # killed between the two atomic writes
    else:
        (tmp_path / "step_00000030.pt.sha256").write_text((tmp_path / "step_00000020.pt.sha256").read_text())
    said = []
    path, payload = latest_good_checkpoint(tmp_path, log=said.append)
    assert path.name == "step_00000020.pt" and payload["extra"]["step"] == 20
    assert len(said) == 1 and "step_00000030.pt" in said[0]


def test_when_every_checkpoint_is_damaged_it_refuses_to_start_over(tmp_path):
    from course_lib.checkpoint import latest_good_checkpoint, step_checkpoints

    _three_checkpoints(tmp_path)
    for path in step_checkpoints(tmp_path):
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="Refusing to restart from scratch"):
        latest_good_checkpoint(tmp_path, log=lambda _: None)


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    from course_lib.checkpoint import save_step_checkpoint

    for step in range(1, 6):
        save_step_checkpoint(tmp_path, step, keep=2, model=torch.nn.Linear(1, 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step_00000004.pt", "step_00000004.pt.sha256", "step_00000005.pt", "step_00000005.pt.sha256"]


def test_rng_states_round_trip_with_dtypes_every_supported_torch_can_write(tmp_path):
    """torch 2.4 cannot torch.save a uint32 tensor (NumPy's MT19937 key): the checkpoint must hold none,
    and a file from before that fix (uint32 key) must still restore NumPy's state."""
    import random

    import numpy as np

    from course_lib.checkpoint import rng_state, set_rng_state

    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    save_checkpoint(tmp_path / "c.pt", model=torch.nn.Linear(1, 1))
    want = (random.random(), np.random.rand(), torch.rand(1).item())
    state = load_checkpoint(tmp_path / "c.pt")["rng"]

    def dtypes(value):
        if isinstance(value, torch.Tensor):
            yield value.dtype
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from dtypes(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from dtypes(item)

    unsigned = {getattr(torch, n) for n in ("uint16", "uint32", "uint64") if hasattr(torch, n)}
    assert not unsigned & set(dtypes(state)), "torch 2.4's torch.save cannot write these dtypes"
    set_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == want
    old = rng_state()  # the old format: the key as a uint32 tensor (readable where torch has uint32)
    name, keys, *rest = old["numpy"]
    if hasattr(torch, "uint32"):
        old["numpy"] = (name, torch.from_numpy(keys.numpy().astype(np.uint32)), *rest)
    again = (random.random(), np.random.rand())
    set_rng_state(old)
    assert (random.random(), np.random.rand()) == again


def test_rng_state_captures_and_restores_the_mps_generator(monkeypatch):
    """On a Mac the MPS generator draws the dropout masks: a resume that skipped it would differ."""
    import torch

    from course_lib.checkpoint import rng_state, set_rng_state

    mps = {"state": torch.tensor([1, 2, 3], dtype=torch.uint8)}
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.mps, "get_rng_state", lambda *a: mps["state"].clone())
    monkeypatch.setattr(torch.mps, "set_rng_state", lambda s, *a: mps.update(state=s.clone()))
    saved = rng_state()
    assert torch.equal(saved["mps"], torch.tensor([1, 2, 3], dtype=torch.uint8))
    mps["state"] = torch.tensor([9, 9, 9], dtype=torch.uint8)  # the generator moves on
    set_rng_state(saved)
    assert torch.equal(mps["state"], torch.tensor([1, 2, 3], dtype=torch.uint8))
