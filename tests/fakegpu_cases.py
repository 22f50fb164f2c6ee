"""The simulated accelerator (course_lib.fakegpu) catches each device-bug class, and passes correct code.

These cases run in a process of their own, started by ``tests/test_fakegpu.py`` (which reports each
one): enabling the ``fakegpu`` backend cannot be undone, and it changes the process for every later
test (``torch.accelerator`` reports it, ``DataLoader(pin_memory=True)`` fails, and the autograd engine
must learn of the device before its first backward pass). The file name does not match ``test_*.py``,
so the CPU test run never collects these cases; it only imports this module (for doctests), which
enables nothing.
"""

from __future__ import annotations

import copy
import doctest

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, TensorDataset

from course_lib import fakegpu
from course_lib.checkpoint import load_checkpoint, save_checkpoint
from course_lib.device import (
    amp_dtype,
    get_device,
    is_cuda_like,
    is_fake,
    supports,
    synchronize,
    uses_grad_scaler,
)
from course_lib.graphs import GCN, adjacency_for_device, normalized_adjacency, supports_sparse_mm
from course_lib.timing import median_seconds
from course_lib.train import fit

SAME_DEVICE = "Expected all tensors to be on the same device"
F = nn.functional


@pytest.fixture
def device() -> torch.device:
    with fakegpu.using_flavour("cuda") as dev:
        yield dev


@pytest.fixture
def mps() -> torch.device:
    with fakegpu.using_flavour("mps") as dev:
        yield dev


def test_docstring_examples(device):
    """The module docstring's examples, skipped where the CPU tests run doctests, run here."""
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder().find(fakegpu, globs=vars(fakegpu).copy())
    for test in tests:
        for example in test.examples:
            example.options.pop(doctest.SKIP, None)
        runner.run(test)
    assert runner.tries >= 8 and runner.failures == 0


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


def test_zero_dim_cpu_index_or_target_is_refused(device):
    """CUDA lets a 0-dim CPU tensor act as a scalar in element-wise ops only; as an index or a
    target it is a CPU tensor like any other."""
    x = torch.randn(5, 3, device=device)
    for call in (lambda: nn.Embedding(5, 2).to(device)(torch.tensor(1)),
                 lambda: x.index_select(0, torch.tensor(1)),
                 lambda: x.gather(0, torch.tensor(0)),
                 lambda: F.cross_entropy(x[0], torch.tensor(1))):
        with pytest.raises(RuntimeError, match=SAME_DEVICE):
            call()
    assert (x * torch.tensor(2.0)).device == device                    # a scalar: allowed
    assert x[torch.tensor(1)].shape == (3,)                             # indexing with a CPU index: allowed
    assert x.index_select(0, torch.tensor(1, device=device)).shape == (1, 3)   # the fix


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


def test_data_ptr_tells_whether_memory_is_shared(device):
    x = torch.randn(4, 3, device=device)
    y = torch.randn(4, 3, device=device)
    assert x.data_ptr() != y.data_ptr() and x.data_ptr() != x.clone().data_ptr()
    assert x.detach().data_ptr() == x.data_ptr() and x.view(12).data_ptr() == x.data_ptr()
    assert x[1:].data_ptr() == x.data_ptr() + 3 * x.element_size()
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(device)
    twin = copy.deepcopy(model)                                      # best-weights copies still work
    assert twin[0].weight.device == device and isinstance(twin[0].weight, nn.Parameter)
    assert twin[0].weight.data_ptr() != model[0].weight.data_ptr()
    assert torch.equal(twin[0].weight.cpu(), model[0].weight.cpu())
    with pytest.raises(RuntimeError):                                # a documented limit
        x.untyped_storage().data_ptr()


def test_bce_under_autocast_is_refused(device):
    p, y = torch.rand(4, device=device), torch.ones(4, device=device)
    with torch.autocast(device.type, dtype=torch.float16):
        with pytest.raises(RuntimeError, match="unsafe to autocast"):
            F.binary_cross_entropy(p, y)
        assert F.binary_cross_entropy_with_logits(p, y).dtype == torch.float32   # the fix
    assert F.binary_cross_entropy(p, y).dtype == torch.float32                      # fine without autocast


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


def test_capabilities_take_cuda_paths(device):
    """The helpers that replace `device.type == "cuda"` send the simulated CUDA down CUDA's paths."""
    assert is_cuda_like(device) and amp_dtype(device) == torch.float16 and uses_grad_scaler(device)
    assert not is_cuda_like("cpu") and amp_dtype("cpu") == torch.bfloat16 and not uses_grad_scaler("cpu")
    with fakegpu.using_flavour("mps") as mps:               # MPS is not CUDA, but float16 needs a scaler too
        assert not is_cuda_like(mps) and amp_dtype(mps) == torch.float16 and uses_grad_scaler(mps)
    fakegpu.reset_sync_counts()
    synchronize(device)
    a = torch.randn(16, 16, device=device)
    median_seconds(lambda: a @ a, device, repeats=3, warmup=1)        # syncs after warm-up and each run
    assert fakegpu.sync_counts()["synchronize"] == 1 + 1 + 3


def test_pin_memory_is_a_documented_limit(device, capsys):
    """PyTorch lets only a C++ backend provide pinned memory: notebooks ask supports() first."""
    assert not supports("pin_memory", device)
    assert "page-locked host memory" in capsys.readouterr().out
    loader = DataLoader(TensorDataset(torch.randn(4, 2)), batch_size=2, pin_memory=True)
    with pytest.raises(NotImplementedError, match="getPinnedMemoryAllocator"):
        next(iter(loader))


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


def test_transformer_encoder_eval_with_padding_mask(device):
    """CUDA takes a nested-tensor fast path here; the simulation takes the standard path, which
    agrees at every real token (padded positions: zeros there, computed values here)."""
    torch.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2).eval()
    src = torch.randn(2, 4, 8)
    pad = torch.tensor([[False, False, False, False], [False, False, True, True]])
    with torch.no_grad(), pytest.warns(UserWarning, match="nested tensors"):
        on_cpu = encoder(src, src_key_padding_mask=pad)                # the CPU takes the fast path
    encoder.to(device)
    with torch.no_grad():
        on_device = encoder(src.to(device), src_key_padding_mask=pad.to(device)).cpu()
    assert torch.allclose(on_device[~pad], on_cpu[~pad], atol=1e-5)
    encoder.mask_check = False                                       # forces the nested conversion
    with torch.no_grad(), pytest.raises(NotImplementedError, match="nested tensors"):
        encoder(src.to(device), src_key_padding_mask=pad.to(device))


# ---------------------------------------------------------------- mixed precision: CUDA's path

def test_autocast_follows_cuda_policy(device):
    x = torch.randn(4, 3, device=device)
    linear, conv = nn.Linear(3, 5).to(device), nn.Conv2d(1, 2, 3).to(device)
    with torch.autocast(device.type, dtype=torch.float16):
        logits = linear(x)
        target = torch.tensor([0, 1, 2, 3], device=device)
        assert logits.dtype == torch.float16 and (x @ x.T).dtype == torch.float16     # float16 list
        assert conv(torch.randn(1, 1, 5, 5, device=device)).dtype == torch.float16
        assert logits.relu().dtype == torch.float16                                    # not listed: as given
        assert logits.softmax(-1).dtype == torch.float32 and logits.sum().dtype == torch.float32
        assert F.cross_entropy(logits, target).dtype == torch.float32                  # float32 list
        assert nn.LayerNorm(5).to(device)(logits).dtype == torch.float32
        assert torch.cat([logits, logits.float()]).dtype == torch.float32              # promote
        assert (x.cpu() @ x.cpu().T).dtype == torch.float32                           # CPU tensors untouched
    with torch.autocast(device.type, dtype=torch.bfloat16):
        assert linear(x).dtype == torch.bfloat16
    assert linear(x).dtype == torch.float32                                            # off again
    x16, w16, b16 = (t.detach().cpu().half().float() for t in (x, linear.weight, linear.bias))
    assert torch.equal(logits.cpu(), torch.addmm(b16, x16, w16.T).half())   # float16 in, float32 sums


def test_float16_products_accumulate_in_float32_and_refuse_mixed_dtypes(device):
    a = torch.full((1, 4096), 1.0, device=device, dtype=torch.float16)
    b = torch.full((4096, 1), 1.0 + 2**-10, device=device, dtype=torch.float16)
    assert (a @ b).dtype == torch.float16 and (a @ b).item() == 4100       # 4096 * (1 + 2**-10), exact
    with pytest.raises(RuntimeError, match="dtype"):                       # as on CUDA: no silent upcast
        a @ b.float()


def test_grad_scaler_skips_a_step_with_inf_gradients(device):
    model = nn.Linear(3, 1).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(device.type, init_scale=2.0**10)
    before = model.weight.detach().cpu().clone()
    with torch.autocast(device.type, dtype=torch.float16):
        loss = model(torch.randn(2, 3, device=device)).float().sum() * float("inf")
    scaler.scale(loss).backward()
    scaler.step(optimizer)               # found inf: the step is skipped ...
    scaler.update()                      # ... and the scale backs off
    assert scaler.get_scale() == 2.0**9 and torch.equal(model.weight.detach().cpu(), before)
    optimizer.zero_grad()
    with torch.autocast(device.type, dtype=torch.float16):
        loss = model(torch.randn(2, 3, device=device)).float().sum()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    assert not torch.equal(model.weight.detach().cpu(), before) and model.weight.dtype == torch.float32


def test_fit_trains_with_float16_autocast_and_grad_scaler(device, monkeypatch, capsys):
    """fit(amp="auto") takes CUDA's path here: float16 autocast, a GradScaler step per batch."""
    updates = []
    original = torch.amp.GradScaler.update
    monkeypatch.setattr(torch.amp.GradScaler, "update",
                        lambda self, *a, **k: (updates.append(self.get_scale()), original(self, *a, **k))[1])
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 8, generator=g)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    history = fit(model, DataLoader(data, batch_size=32), val_loader=DataLoader(data, batch_size=96),
                  epochs=3, optimizer=torch.optim.Adam(model.parameters(), lr=0.05), device=device)
    assert history.amp == "float16 + GradScaler"
    assert "fit: mixed precision on fakegpu:0: float16 + GradScaler" in capsys.readouterr().out
    assert len(updates) == 3 * 3                                    # one scaler update per training batch
    assert history["train_loss"][-1] < history["train_loss"][0] and history["val_loss"][-1] < 0.5
    assert model[0].weight.dtype == torch.float32 and model[0].weight.device == device
    off = fit(nn.Linear(8, 2), DataLoader(data, batch_size=32), epochs=1, amp=False, device=device,
              progress=False)
    assert off.amp == "off" and len(updates) == 9
