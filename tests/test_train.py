"""The training loop: results, early stopping, resume, and errors a learner meets."""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import course_lib as cl
from course_lib.metrics import accuracy
from course_lib.train import History, evaluate, fit


def make_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return TensorDataset(x, y)


def make_model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))


def loaders(seed=0):
    g = cl.seed_everything(seed)
    train = DataLoader(make_data(), batch_size=32, shuffle=True, generator=g)
    val = DataLoader(make_data(64, seed=1), batch_size=64)
    return train, val


def test_fit_learns_and_records_history():
    train, val = loaders()
    model = make_model()
    h = fit(model, train, val_loader=val, epochs=10, metrics={"acc": accuracy}, progress=False,
            device=torch.device("cpu"), optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert len(h) == 10 and h["epoch"] == list(range(1, 11))
    assert h["val_acc"][-1] > 0.85
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert {"train_loss", "val_loss", "train_acc", "val_acc", "lr", "seconds"} <= set(h.keys())
    assert evaluate(model, val, metrics={"acc": accuracy})["acc"] == pytest.approx(h["val_acc"][-1])


def run(epochs, ckpt=None, resume=False, seed=0):
    train, val = loaders(seed)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    h = fit(model, train, val_loader=val, epochs=epochs, optimizer=opt, scheduler=sched,
            progress=False, checkpoint_path=ckpt, resume=resume, device=torch.device("cpu"))
    return model, h


def test_interrupted_then_resumed_is_bitwise_identical(tmp_path):
    full, h_full = run(6)
    # "Interrupt" after 3 epochs: a run that stops there, writing its checkpoint ...
    run(3, ckpt=tmp_path / "ck.pt")
    # ... then a fresh process state (different RNG draws in between) resumes to 6.
    torch.rand(1000)
    resumed, h_res = run(6, ckpt=tmp_path / "ck.pt", resume=True, seed=99)
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert h_full["train_loss"] == h_res["train_loss"]


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    _, h = run(2, ckpt=tmp_path / "none.pt", resume=True)
    assert h["epoch"] == [1, 2]


def test_early_stopping_and_restore_best():
    train, val = loaders()
    model = make_model()
    first = None

    def remember(epoch, _record, m):
        nonlocal first
        if epoch == 1:
            first = {k: v.clone() for k, v in m.state_dict().items()}

    # The training loss falls every epoch, so under mode="max" epoch 1 stays the best and
    # patience=2 stops the run after epoch 3; restore_best brings epoch 1's weights back.
    h = fit(model, train, val_loader=val, epochs=20, patience=2, monitor="train_loss", mode="max",
            callbacks=[remember], progress=False, restore_best=True,
            optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert len(h) == 3 and h.best_epoch == 1
    assert all(torch.equal(first[k], v) for k, v in model.state_dict().items())


def test_callback_can_stop():
    train, _ = loaders()
    h = fit(make_model(), train, epochs=10, progress=False, callbacks=[lambda e, r, m: e == 2])
    assert len(h) == 2


def test_empty_loader_is_a_clear_error():
    empty = DataLoader(TensorDataset(torch.empty(0, 8), torch.empty(0, dtype=torch.long)), batch_size=4)
    with pytest.raises(ValueError, match="no batches"):
        fit(make_model(), empty, epochs=1, progress=False)


def test_non_scalar_loss_is_a_clear_error():
    train, _ = loaders()
    with pytest.raises(ValueError, match="scalar"):
        fit(make_model(), train, epochs=1, progress=False, loss_fn=nn.CrossEntropyLoss(reduction="none"))


def test_nan_loss_names_epoch_and_step():
    train, _ = loaders()
    model = make_model()
    with pytest.raises(FloatingPointError, match=r"epoch 1, step 1.*learning rate"):
        fit(model, train, epochs=1, progress=False, loss_fn=lambda out, y: out.sum() * math.nan)


def test_bad_batch_shape_is_explained():
    bad = DataLoader(torch.randn(8, 8), batch_size=4)
    with pytest.raises(ValueError, match=r"\(\*inputs, target\)"):
        fit(make_model(), bad, epochs=1, progress=False)


def test_device_mismatch_is_explained():
    class Stray(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 2)

        def forward(self, x):
            raise RuntimeError("Expected all tensors to be on the same device, but found cuda:0 and cpu")

    train, _ = loaders()
    with pytest.raises(RuntimeError, match="different devices"):
        fit(Stray(), train, epochs=1, progress=False)


def test_history_round_trip():
    h = History([{"epoch": 1, "val_loss": 0.5}, {"epoch": 2, "val_loss": 0.4}])
    again = History.from_dict(h.to_dict())
    assert again.best_epoch == 2 and again.best["val_loss"] == 0.4 and len(again) == 2


def test_unknown_monitor_is_a_clear_error():
    train, val = loaders()
    with pytest.raises(ValueError, match="not in the epoch record"):
        fit(make_model(), train, val_loader=val, epochs=3, patience=1, monitor="val_acc", progress=False)


def test_optimizer_of_another_model_is_refused():
    train, _ = loaders()
    old = make_model()
    model = make_model()  # re-created after the optimizer: a classic notebook mistake
    with pytest.raises(ValueError, match="do not belong to this model"):
        fit(model, train, epochs=1, optimizer=torch.optim.SGD(old.parameters(), lr=0.1), progress=False)


def test_checkpoint_path_problems_fail_before_training(tmp_path):
    train, _ = loaders()
    calls = []
    with pytest.raises(IsADirectoryError, match="last.pt"):
        fit(make_model(), train, epochs=1, checkpoint_path=tmp_path, progress=False,
            callbacks=[lambda *a: calls.append(a)])
    existing = tmp_path / "ck.pt"
    existing.write_bytes(b"a previous run")
    with pytest.raises(FileExistsError, match="resume=True"):
        fit(make_model(), train, epochs=1, checkpoint_path=existing, progress=False,
            callbacks=[lambda *a: calls.append(a)])
    assert calls == [] and existing.read_bytes() == b"a previous run"


def test_resume_from_a_plain_checkpoint_is_explained(tmp_path):
    from course_lib.checkpoint import save_checkpoint

    path = tmp_path / "plain.pt"
    save_checkpoint(path, model=make_model(), epoch=3)
    train, _ = loaders()
    with pytest.raises(ValueError, match="not written by fit"):
        fit(make_model(), train, epochs=5, checkpoint_path=path, resume=True, progress=False)


def test_callbacks_from_a_generator_run_every_epoch():
    train, _ = loaders()
    seen = []
    callbacks = (cb for cb in [lambda epoch, record, model: seen.append(epoch)])
    fit(make_model(), train, epochs=3, progress=False, callbacks=callbacks)
    assert seen == [1, 2, 3]


def test_reduce_lr_on_plateau_uses_the_monitor_and_explains_a_missing_one():
    train, val = loaders()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    # Monitoring the lr itself in mode="max": it never rises, so from epoch 2 on every epoch is a
    # plateau and the lr halves (the record holds the lr each epoch trained with).
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    h = fit(model, train, val_loader=val, epochs=4, optimizer=opt, scheduler=sched, monitor="lr",
            progress=False)
    assert h["lr"] == [0.1, 0.1, 0.05, 0.025]
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs"):
        fit(model, train, val_loader=val, epochs=1, optimizer=opt, monitor="val_f1", progress=False,
            scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(opt))


def test_grad_clip_bounds_the_gradient_norm_at_each_step():
    train, _ = loaders()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    norms = []
    step = opt.step

    def spy(*args, **kwargs):
        norms.append(torch.norm(torch.stack([p.grad.norm() for p in model.parameters()])).item())
        return step(*args, **kwargs)

    opt.step = spy
    fit(model, train, epochs=1, optimizer=opt, grad_clip=0.01, progress=False, device=torch.device("cpu"))
    assert norms and max(norms) <= 0.01 + 1e-6


def test_amp_on_the_cpu_runs_the_forward_pass_in_bfloat16():
    dtypes = []

    class Probe(nn.Linear):
        def forward(self, x):
            out = super().forward(x)
            dtypes.append(out.dtype)
            return out

    train, _ = loaders()
    fit(Probe(8, 2), train, epochs=1, amp=True, progress=False, device=torch.device("cpu"))
    fit(Probe(8, 2), train, epochs=1, amp="auto", progress=False, device=torch.device("cpu"))
    n = len(dtypes) // 2
    assert set(dtypes[:n]) == {torch.bfloat16} and set(dtypes[n:]) == {torch.float32}


def test_history_says_which_mixed_precision_fit_used(capsys, tmp_path):
    train, _ = loaders()
    cpu = torch.device("cpu")
    assert fit(make_model(), train, epochs=1, progress=False, device=cpu).amp == "off"   # auto: CUDA only
    h = fit(make_model(), train, epochs=1, amp=True, device=cpu, checkpoint_path=tmp_path / "ck.pt")
    assert h.amp == "bfloat16"                                     # no GradScaler for bfloat16
    assert "fit: mixed precision on cpu: bfloat16" in capsys.readouterr().out
    resumed = fit(make_model(), train, epochs=2, amp=True, device=cpu, progress=False,
                  checkpoint_path=tmp_path / "ck.pt", resume=True)
    assert resumed.amp == "bfloat16" and len(resumed) == 2
    assert capsys.readouterr().out == ""                           # progress=False: quiet


def test_amp_must_be_true_false_or_auto():
    train, _ = loaders()
    with pytest.raises(ValueError, match="amp must be True, False or 'auto'"):
        fit(make_model(), train, epochs=1, amp="off", progress=False, device=torch.device("cpu"))


def test_an_unrelated_error_is_raised_unchanged():
    class Broken(nn.Linear):
        def forward(self, x):
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (32x8 and 7x2)")

    train, _ = loaders()
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied") as err:
        fit(Broken(8, 2), train, epochs=1, progress=False)
    assert err.value.__cause__ is None  # not its own cause


def test_history_typo_is_a_key_error():
    h = History([{"epoch": 1, "val_loss": 0.5}, {"epoch": 2, "val_loss": 0.4, "val_acc": 0.9}])
    assert h["val_acc"][0] != h["val_acc"][0] and h["val_acc"][1] == 0.9  # nan where an epoch lacks it
    with pytest.raises(KeyError, match="val_los"):
        h["val_los"]
