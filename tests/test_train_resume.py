"""fit(resume=True) on a run that had already stopped early does not train it any further."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import course_lib as cl
from course_lib.train import fit


def _run(ckpt, resume):
    g = cl.seed_everything(0)
    data = TensorDataset(torch.randn(64, 4, generator=g), torch.randint(0, 2, (64,), generator=g))
    loader = DataLoader(data, batch_size=16, shuffle=True, generator=g)
    model = nn.Linear(4, 2)
    # The training loss falls every epoch, so under mode="max" epoch 1 stays the best one and
    # patience=1 stops the run after epoch 2.
    history = fit(model, loader, epochs=10, patience=1, monitor="train_loss", mode="max",
                  checkpoint_path=ckpt, resume=resume, progress=False, device=torch.device("cpu"))
    return model, history


def test_resuming_an_early_stopped_run_is_a_no_op(tmp_path):
    ckpt = tmp_path / "ck.pt"
    model, history = _run(ckpt, resume=False)
    assert history["epoch"] == [1, 2]
    again, resumed = _run(ckpt, resume=True)
    assert resumed["epoch"] == [1, 2]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
