"""The simulated accelerator (course_lib.fakegpu) catches each device-bug class, and passes correct code.

Enabling it registers the ``fakegpu`` device type for the rest of this pytest process; nothing
else changes for CPU tensors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib import fakegpu
from course_lib.checkpoint import load_checkpoint, save_checkpoint
from course_lib.device import get_device, is_fake, supports
from course_lib.graphs import GCN, adjacency_for_device, normalized_adjacency, supports_sparse_mm

SAME_DEVICE = "Expected all tensors to be on the same device"


@pytest.fixture
def device() -> torch.device:
    with fakegpu.using_flavour("cuda") as dev:
        yield dev


@pytest.fixture
def mps() -> torch.device:
    with fakegpu.using_flavour("mps") as dev:
        yield dev


# ---------------------------------------------------------------- bug classes it must catch

def test_module_not_moved(device):
    x = torch.randn(4, 3, device=device)
    with pytest.raises(RuntimeError, match=SAME_DEVICE):
        nn.Linear(3, 2)(x)


def test_target_left_on_cpu(device):
    model = nn.Linear(3, 2).to(device)
    with pytest.raises(RuntimeError, match=SAME_DEVICE):
        nn.functional.cross_entropy(model(torch.randn(4, 3, device=device)), torch.tensor([0, 1, 0, 1]))


def test_embedding_indices_left_on_cpu(device):
    with pytest.raises(RuntimeError, match=SAME_DEVICE):
        nn.Embedding(5, 2).to(device)(torch.tensor([1, 2]))


def test_numpy_of_device_tensor(device):
    t = torch.ones(3, device=device)
    for convert in (lambda: t.numpy(), lambda: np.asarray(t)):
        with pytest.raises(TypeError, match="can't convert fakegpu:0 device type tensor to numpy"):
            convert()
    assert t.cpu().numpy().tolist() == [1.0, 1.0, 1.0]    # the fix works


def test_cpu_generator_for_device_tensor(device):
    with pytest.raises(RuntimeError, match="generator"):
        torch.randn(3, device=device, generator=torch.Generator().manual_seed(0))


def test_mps_refuses_float64(mps):
    with pytest.raises(TypeError, match="float64"):
        torch.zeros(2, dtype=torch.float64).to(mps)
    with pytest.raises(TypeError, match="float64"):
        torch.zeros(2, device=mps).double()
    assert torch.zeros(2, dtype=torch.float64).float().to(mps).dtype == torch.float32


def test_mps_refuses_sparse_matmul(mps):
    adj = normalized_adjacency(torch.tensor([[0, 1], [1, 0]]), 2)
    with pytest.raises(NotImplementedError, match="SparseMPS"):
        torch.sparse.mm(adj.to(mps), torch.ones(2, 1, device=mps))
    assert not supports_sparse_mm(mps)
    with pytest.warns(UserWarning, match="dense"):                  # course_lib's fallback
        assert not adjacency_for_device(adj, mps).is_sparse


def test_item_is_counted(device):
    x = torch.randn(8, device=device)
    fakegpu.reset_sync_counts()
    total = sum(x[i].item() for i in range(8))          # one host sync per element: slow on a GPU
    assert fakegpu.sync_counts()["item"] == 8
    assert abs(total - x.sum().item()) < 1e-5


# ---------------------------------------------------------------- what CUDA allows must pass

def test_allowed_mixes(device):
    x = torch.arange(6.0, device=device).reshape(2, 3)
    assert (x * torch.tensor(2.0)).device == device                  # 0-dim CPU tensor as a scalar
    assert x[torch.tensor([1, 0])].tolist() == [[3, 4, 5], [0, 1, 2]]  # CPU index tensor
    assert x[torch.tensor([True, False])].shape == (1, 3)
    back = x.to("cpu")
    assert back.device.type == "cpu" and back.to(device).device == device
    assert f"{x.sum():.1f}" == "15.0" and x.tolist()[1] == [3.0, 4.0, 5.0]
    assert "device='fakegpu:0'" in repr(x)


def test_get_device_and_supports(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "fakegpu")
    assert get_device().type == "fakegpu" and is_fake() and fakegpu.flavour() == "cuda"
    assert not supports("pin_memory")
    assert "Skipped on the simulated accelerator" in capsys.readouterr().out
    assert supports("pin_memory", "cpu")
    monkeypatch.setenv("COURSE_DEVICE", "fakemps")
    try:
        assert get_device().type == "fakegpu" and fakegpu.flavour() == "mps"
    finally:
        fakegpu.enable("cuda")


def _train_steps(model: nn.Module, device: torch.device, make_batch, steps: int = 3) -> list[float]:
    """A real training step: AdamW, gradient clipping, a scheduler."""
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    losses = []
    for _ in range(steps):
        inputs, target = make_batch()
        loss = nn.functional.cross_entropy(model(*inputs), target.to(device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def test_cnn_with_batch_norm_trains_like_cpu(device):
    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.0), nn.Linear(36, 3))

    def batches(dev):
        g = torch.Generator().manual_seed(1)
        return lambda: ((torch.randn(8, 1, 8, 8, generator=g).to(dev),),
                        torch.randint(0, 3, (8,), generator=g))

    fake_model = model()
    optimizer_before = torch.optim.SGD(fake_model.parameters(), lr=0.1)   # built before .to(device)
    fake = _train_steps(fake_model, device, batches(device))
    cpu = _train_steps(model(), torch.device("cpu"), batches("cpu"))
    assert np.allclose(fake, cpu, atol=1e-5)
    assert fake_model[1].running_mean.device == device
    assert optimizer_before.param_groups[0]["params"][0] is fake_model[0].weight   # same Parameter


class _TextRNN(nn.Module):
    def __init__(self, cell: type[nn.Module]) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4, padding_idx=0)
        self.rnn = cell(4, 5, batch_first=True, bidirectional=True)
        self.head = nn.Linear(10, 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embed(tokens), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.rnn(packed)
        padded, _ = pad_packed_sequence(out, batch_first=True)
        return self.head(padded.mean(1))


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_rnn_with_packed_sequences_trains_like_cpu(device, cell):
    tokens, lengths, y = torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2]), torch.tensor([0, 1])
    runs = []
    for dev in (device, torch.device("cpu")):
        torch.manual_seed(0)
        runs.append(_train_steps(_TextRNN(cell), dev, lambda d=dev: ((tokens.to(d), lengths.to(d)), y)))
    assert np.allclose(*runs, atol=1e-5)


def test_gcn_step(device):
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    adj = normalized_adjacency(edge_index.to(device), 4)
    assert adj.is_sparse and adj.device == device
    torch.manual_seed(0)
    losses = _train_steps(GCN(4, 8, 2, dropout=0.0), device,
                          lambda: ((torch.eye(4, device=device), adj), torch.tensor([0, 0, 1, 1])), steps=5)
    assert losses[-1] < losses[0]


def test_checkpoint_roundtrip(device, tmp_path):
    model = nn.Linear(3, 2).to(device)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(4, 3, device=device)).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, epoch=1)
    on_cpu = load_checkpoint(tmp_path / "ck.pt")                        # map_location="cpu"
    assert on_cpu["model"]["weight"].device.type == "cpu"
    fresh = nn.Linear(3, 2).to(device)
    fresh_opt = torch.optim.AdamW(fresh.parameters())
    load_checkpoint(tmp_path / "ck.pt", model=fresh, optimizer=fresh_opt, map_location=device)
    assert torch.equal(fresh.weight.cpu(), model.weight.cpu())
    assert fresh_opt.state_dict()["state"][0]["exp_avg"].device == device
