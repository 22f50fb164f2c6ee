"""The DDP training script: device choice and a single-process run (torchrun runs in notebook 15)."""

from __future__ import annotations

import sys

import pytest
import torch

from course_lib import ddp_train
from course_lib.checkpoint import load_checkpoint


def test_cpu_is_chosen_when_there_are_fewer_gpus_than_processes(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert ddp_train.choose_device_kind("auto", 1) == "cuda"
    assert ddp_train.choose_device_kind("auto", 2) == "cpu"  # one GPU cannot serve two workers
    with pytest.raises(SystemExit, match="one GPU per process"):
        ddp_train.choose_device_kind("cuda", 2)


def test_course_device_cpu_wins_over_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert ddp_train.choose_device_kind("auto", 2) == "cpu"


def test_unknown_device_is_refused():
    with pytest.raises(SystemExit):
        ddp_train.choose_device_kind("tpu", 1)


def test_single_process_run_saves_its_device_and_losses(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    out = tmp_path / "one.pt"
    args = ddp_train.parse_args(["--epochs", "2", "--samples", "128", "--batch-size", "32", "--device", "cpu",
                                 "--out", str(out)])
    summary = ddp_train.train(args)
    assert summary["world_size"] == 1 and summary["device"] == "cpu" and len(summary["losses"]) == 2
    saved = load_checkpoint(out)
    assert saved["extra"]["device"] == "cpu" and saved["epoch"] == 2


def test_fsdp_on_a_torch_too_old_for_it_says_which_it_needs(monkeypatch, capsys):
    monkeypatch.setattr(torch, "__version__", "2.8.0")
    with pytest.raises(SystemExit, match="--fsdp cannot run on torch 2.8.0"):
        ddp_train.train(ddp_train.parse_args(["--fsdp", "--device", "cpu"]))
    assert "fsdp2 needs torch 2.9 or newer (this is torch 2.8.0)" in capsys.readouterr().out


def test_a_checkpoint_of_another_run_is_not_resumed(tmp_path, monkeypatch):
    """Issue 23: reusing a --ckpt-dir with another --lr, --seed or --samples used to resume silently."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    common = ["--epochs", "1", "--batch-size", "32", "--device", "cpu", "--ckpt-dir", str(tmp_path / "ck"),
              "--ckpt-every", "2"]
    ddp_train.train(ddp_train.parse_args([*common, "--samples", "128", "--lr", "0.05"]))
    for changed, message in ((["--samples", "128", "--lr", "0.1"], "lr: 0.05 in the checkpoint, 0.1 now"),
                             (["--samples", "96", "--lr", "0.05"], "samples: 128 in the checkpoint, 96 now"),
                             (["--samples", "128", "--lr", "0.05", "--seed", "1"], "seed: 0 in the")):
        with pytest.raises(SystemExit, match=message):
            ddp_train.train(ddp_train.parse_args([*common, *changed]))
    # the same run resumes (more epochs continue it)
    again = ddp_train.train(ddp_train.parse_args([*common[:1], "2", *common[2:], "--samples", "128",
                                                  "--lr", "0.05"]))
    assert again["resumed_from"] and len(again["losses"]) == 2


def test_keep_must_keep_the_checkpoint_just_written(tmp_path):
    from course_lib.checkpoint import save_step_checkpoint

    with pytest.raises(ValueError, match="keep >= 1"):
        save_step_checkpoint(tmp_path, 10, keep=0, model=torch.nn.Linear(1, 1))
    assert not list(tmp_path.iterdir())
    with pytest.raises(SystemExit):
        ddp_train.parse_args(["--keep", "0"])


def test_resume_reads_back_the_saved_progress_and_a_resumed_run_ends_as_a_straight_one(tmp_path, monkeypatch):
    """The loop's state is explicit (``Progress``): what ``resume`` reads back is what the checkpoint saved,
    and a run stopped after a checkpoint then resumed ends with the uninterrupted run's weights and losses."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    base = ["--batch-size", "32", "--samples", "128", "--device", "cpu", "--ckpt-every", "3"]
    straight = ddp_train.train(ddp_train.parse_args([*base, "--epochs", "2", "--out", str(tmp_path / "a.pt"),
                                                     "--ckpt-dir", str(tmp_path / "a")]))
    # 4 steps per epoch: the newest checkpoint (step 6) is 2 batches into the second epoch
    args = ddp_train.parse_args([*base, "--epochs", "2", "--ckpt-dir", str(tmp_path / "a")])
    model = ddp_train.build_model()
    progress = ddp_train.resume(args, 0, 1, torch.device("cpu"), model,
                                torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9))
    assert (progress.step, progress.epoch, progress.skip) == (6, 1, 2)
    assert progress.losses == straight["losses"][:1] and progress.resumed_from == "step_00000006.pt"
    assert progress.carried[1].item() == 2 * 32            # two batches of the epoch counted so far
    # one epoch now, then the same run continued to two: the same end as the straight run
    ddp_train.train(ddp_train.parse_args([*base, "--epochs", "1", "--ckpt-dir", str(tmp_path / "b")]))
    resumed = ddp_train.train(ddp_train.parse_args([*base, "--epochs", "2", "--out", str(tmp_path / "b.pt"),
                                                    "--ckpt-dir", str(tmp_path / "b")]))
    assert resumed["resumed_from"] and resumed["losses"] == straight["losses"]
    a, b = load_checkpoint(tmp_path / "a.pt")["model"], load_checkpoint(tmp_path / "b.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    fresh = ddp_train.resume(ddp_train.parse_args(base), 0, 1, torch.device("cpu"), model,
                             torch.optim.SGD(model.parameters(), lr=0.05))
    assert (fresh.step, fresh.epoch, fresh.skip, fresh.losses, fresh.resumed_from) == (0, 0, 0, [], None)


def test_accumulated_micro_batches_give_the_whole_batch_gradient():
    torch.manual_seed(0)
    model, loss_fn = ddp_train.build_model(), torch.nn.CrossEntropyLoss()
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    whole = ddp_train.accumulated_backward(model, loss_fn, x, y, 1)
    want = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    accumulated = ddp_train.accumulated_backward(model, loss_fn, x, y, 4)
    assert torch.allclose(accumulated, whole, atol=1e-6)
    for p, w in zip(model.parameters(), want):
        assert torch.allclose(p.grad, w, atol=1e-6)
    with pytest.raises(ValueError, match="equal micro-batches"):
        ddp_train.accumulated_backward(model, loss_fn, x, y, 3)
    with pytest.raises(SystemExit):
        ddp_train.parse_args(["--accum-steps", "0"])


def test_no_sync_leaves_one_allreduce_per_accumulated_step():
    with ddp_train.one_process_ddp(torch.nn.Linear(4, 3)) as (net, sent):
        x, y = torch.randn(6, 4), torch.randn(6, 3)
        ddp_train.accumulated_backward(net, torch.nn.MSELoss(), x, y, 3)
        assert sent["allreduces"] == 1 and sent["bytes"] == (4 * 3 + 3) * 4
        for _ in range(3):  # without no_sync every backward all-reduces
            torch.nn.functional.mse_loss(net(x), y).backward()
        assert sent["allreduces"] == 4
    assert not torch.distributed.is_initialized()



def _accumulate_on_two_ranks(rank: int, port: int, out: str) -> None:
    """One rank of a 2-process gloo group: the accumulated gradient with no_sync, and without it."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
        loss_fn = torch.nn.CrossEntropyLoss()
        x, y = torch.randn(2, 12, 5), torch.randint(0, 3, (2, 12))  # the same draw on both ranks
        results = {}
        for name in ("no_sync", "every backward"):
            net = torch.nn.parallel.DistributedDataParallel(model)
            sent = ddp_train.count_allreduces(net)
            model.zero_grad(set_to_none=True)
            if name == "no_sync":
                ddp_train.accumulated_backward(net, loss_fn, x[rank], y[rank], 3)
            else:
                for xs, ys in zip(x[rank].chunk(3), y[rank].chunk(3)):
                    (loss_fn(net(xs), ys) / 3).backward()
            results[name] = ([p.grad.clone() for p in model.parameters()], sent["allreduces"])
        model.zero_grad(set_to_none=True)
        loss_fn(model(x.flatten(0, 1)), y.flatten()).backward()  # one process, the global batch of 24
        results["global batch"] = ([p.grad.clone() for p in model.parameters()], 0)
        if rank == 0:
            torch.save(results, out)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(sys.platform == "win32", reason="process tests run on Linux/macOS")
def test_accumulation_on_two_processes_equals_the_global_batch_with_one_allreduce(tmp_path):
    """What notebook 15 says about no_sync: the same gradient as the global batch, with or without it
    (DDP all-reduces the gradient accumulated so far); with it, 1 all-reduce per step instead of 3."""
    import torch.multiprocessing as mp

    from course_lib.launch import free_port

    out = tmp_path / "grads.pt"
    mp.spawn(_accumulate_on_two_ranks, args=(free_port(), str(out)), nprocs=2)
    results = torch.load(out)
    want, _ = results["global batch"]
    for name, allreduces in (("no_sync", 1), ("every backward", 3)):
        grads, sent = results[name]
        assert sent == allreduces, name
        for g, w in zip(grads, want):
            assert torch.allclose(g, w, atol=1e-6), name
