"""Data-parallel training of a small MNIST classifier, launched with ``torchrun``.

One script runs as one process (plain ``python -m course_lib.ddp_train``) or as many
(``torchrun --standalone --nproc_per_node=2 -m course_lib.ddp_train``). Each process gets
``global_batch / world_size`` samples per step from a :class:`DistributedSampler`; DDP averages
the gradients, so every process takes the same step a single process would take on the
whole global batch. Rank 0 alone writes the checkpoint (atomically, via ``save_checkpoint``).

Device (``--device``): ``cuda`` gives every process its own GPU and uses the NCCL backend; ``cpu``
uses gloo; ``auto`` (the default) picks ``cuda`` only when there is one GPU per local process.
Compare runs only on the same device kind: a 1-process run on a GPU and a 2-process run on the
CPU differ by far more than summation order. On CUDA, TF32 is switched off so that float32 means
float32 (TF32 matmuls keep only 10 mantissa bits).
On native Windows, torchrun (torch >= 2.4) needs ``USE_LIBUV=0`` in the environment.
Several machines: run the same command on each with ``--nnodes=N --node_rank=i
--rdzv_backend=c10d --rdzv_endpoint=HOST:PORT`` instead of ``--standalone``.

>>> build_model()(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, Subset


def build_model() -> nn.Module:
    """A small CNN without batch norm or dropout.

    Batch norm normalises with statistics of the *local* batch (different per process unless
    you use ``nn.SyncBatchNorm``) and dropout draws different masks per process; leaving them
    out makes "DDP equals one big batch" exact up to floating-point summation order.
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def choose_device_kind(requested: str = "auto", local_world_size: int = 1) -> str:
    """``"cuda"`` or ``"cpu"`` for this job: every local process needs a GPU of its own for CUDA.

    >>> choose_device_kind("cpu", 2)
    'cpu'
    """
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if requested == "cpu":
        return "cpu"
    if requested == "cuda":
        if gpus < local_world_size:
            raise SystemExit(f"--device cuda needs one GPU per process: {local_world_size} processes on this "
                             f"machine but {gpus} GPU(s). Use fewer processes or --device cpu.")
        return "cuda"
    if requested != "auto":
        raise SystemExit(f"--device must be auto, cpu or cuda, not {requested!r}")
    return "cuda" if gpus >= local_world_size > 0 and os.environ.get("COURSE_DEVICE", "") != "cpu" else "cpu"


def setup(requested: str = "auto", timeout_s: float = 300.0) -> tuple[int, int, torch.device]:
    """Join the process group if launched by torchrun; return (rank, world_size, device).

    ``timeout_s`` bounds how long a collective (an all-reduce, a barrier) waits for a peer that does
    not answer, so a job whose partner vanished fails instead of hanging forever.
    """
    from datetime import timedelta

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = choose_device_kind(requested, int(os.environ.get("LOCAL_WORLD_SIZE", "1"))) == "cuda"
    device = torch.device(f"cuda:{local_rank}") if use_cuda else torch.device("cpu")
    if use_cuda:  # float32 really means float32: no TF32 matmuls or convolutions
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if world > 1:
        if use_cuda:
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", timeout=timedelta(seconds=timeout_s),
                                store=_attempt_store(rank, world, timedelta(seconds=timeout_s)), rank=rank,
                                world_size=world)
    return rank, world, device


def _attempt_store(rank: int, world: int, timeout) -> dist.Store:
    """The job's key-value store (``MASTER_ADDR:MASTER_PORT``, set by torchrun), seen through a prefix
    unique to this restart attempt.

    After ``torchrun`` restarts the workers, the store still holds the keys of the failed attempt
    (e.g. rank 0's old address): a fresh worker that reads one of those before the new rank 0
    overwrites it connects to a dead process. Measured here: 2 restarts of 4 failed that way with the
    plain ``env://`` initialisation. A prefix per attempt makes old keys invisible.
    """
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    agent_hosts_it = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"  # torchrun's own store
    store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world,
                          is_master=rank == 0 and not agent_hosts_it, timeout=timeout)
    return dist.PrefixStore(f"course_lib/attempt_{attempt}/", store)


def shard(model: nn.Module) -> nn.Module:
    """FSDP2: shard every layer that has parameters, then the whole model, across the process group.

    Each process then keeps only its 1/world_size slice of every parameter (a ``DTensor``); a layer's
    full weights are all-gathered just before its forward and backward and freed right after, and
    gradients are reduce-scattered so each process updates only its own slice. Needs torch >= 2.9 on
    CPU processes (``course_lib.device.supports("fsdp2")`` says why).
    """
    from torch.distributed.fsdp import fully_shard

    for layer in model.children():
        if any(True for _ in layer.parameters(recurse=False)):
            fully_shard(layer)
    return fully_shard(model)


def local_parameter_bytes(model: nn.Module) -> int:
    """Bytes of parameters this process holds (its shards under FSDP, everything otherwise)."""
    total = 0
    for p in model.parameters():
        local = p.to_local() if hasattr(p, "to_local") else p
        total += local.numel() * local.element_size()
    return total


def accumulated_backward(net: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor,
                         steps: int = 1) -> torch.Tensor:
    """Backward over ``steps`` equal micro-batches of ``(x, y)``, their gradients added up in ``.grad``;
    returns the mean loss over the whole batch (detached).

    Each micro-batch's mean loss is divided by ``steps``: the mean of ``steps`` equal-size means is the
    mean over the whole batch, so the accumulated gradient is the whole batch's gradient. Under DDP the
    first ``steps - 1`` micro-batches run inside ``no_sync()`` -- forward *and* backward, since DDP decides
    in the forward pass whether the next backward all-reduces -- and only the last one all-reduces the
    sum. With ``steps=1`` this is ``loss_fn(net(x), y).backward()``.
    """
    if len(x) % steps:
        raise ValueError(f"a batch of {len(x)} does not split into {steps} equal micro-batches")
    total = torch.zeros((), device=x.device)
    for k, (xs, ys) in enumerate(zip(x.chunk(steps), y.chunk(steps))):
        last = k == steps - 1
        with nullcontext() if last or not isinstance(net, DDP) else net.no_sync():
            loss = loss_fn(net(xs), ys) / steps
            loss.backward()
        total += loss.detach()
    return total


def count_allreduces(net: DDP) -> dict[str, int]:
    """Count what DDP sends: a communication hook that tallies each bucket all-reduce (and its bytes)
    before running DDP's default all-reduce (``default_hooks.allreduce_hook``: divide by the world size,
    then sum). Returns the live tally, ``{"allreduces": ..., "bytes": ...}`` of this process."""
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

    tally = {"allreduces": 0, "bytes": 0}

    def hook(state, bucket):
        buffer = bucket.buffer()
        tally["allreduces"] += 1
        tally["bytes"] += buffer.numel() * buffer.element_size()
        return default_hooks.allreduce_hook(state, bucket)

    net.register_comm_hook(None, hook)
    return tally


@contextmanager
def one_process_ddp(model: nn.Module):
    """``model`` wrapped in DDP inside this very process, as a process group of one (gloo), with the live
    tally of its all-reduces (:func:`count_allreduces`): the real DDP machinery -- ``no_sync``, buckets, the
    communication hook -- without launching workers. Used by notebook 15's exercise check. The group is
    closed on exit (unless one already existed).

    >>> with one_process_ddp(nn.Linear(3, 2)) as (net, sent):
    ...     net(torch.ones(4, 3)).sum().backward()
    >>> sent["allreduces"]
    1
    """
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        net = DDP(model)
        yield net, count_allreduces(net)
    finally:
        if created:
            dist.destroy_process_group()


def _kill_myself_once(step: int, rank: int, args: argparse.Namespace) -> None:
    """The failure demo: SIGKILL this worker at ``--kill-at-step`` -- on the first attempt only, so
    the restarted job runs through. (SIGKILL cannot be caught: no cleanup, no last checkpoint.)"""
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    if args.kill_at_step and step == args.kill_at_step and rank == args.kill_rank and first_attempt:
        print(f"rank {rank}: SIGKILL at step {step} (simulated failure)", flush=True)
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Progress:
    """Where a run stands — what a step checkpoint saves and a restart resumes."""

    step: int = 0                  #: optimizer steps taken
    epoch: int = 0                 #: the epoch to continue
    skip: int = 0                  #: batches of that epoch already done (the sampler's order is the same)
    losses: list[float] = field(default_factory=list)   #: mean training loss of each finished epoch
    carried: torch.Tensor | None = None  #: (loss sum, count) of the epoch so far, kept by rank 0
    resumed_from: str | None = None
    backward_passes: int = 0       #: backward passes (micro-batches) run by this process in this attempt
    sent: dict[str, int] = field(default_factory=dict)  #: DDP's bucket all-reduces and bytes, this attempt


def resume(args: argparse.Namespace, rank: int, world: int, device: torch.device, model: nn.Module,
           optimizer: torch.optim.Optimizer) -> Progress:
    """The progress to start from: a fresh run, or — with ``--ckpt-dir`` — the state of the checkpoint
    rank 0 chose (:func:`agreed_checkpoint`), loaded into ``model`` and ``optimizer`` on every rank.

    Refuses a checkpoint written by another run (other ``--lr``, ``--seed``, ``--samples``, batch or
    world size): continuing it would silently mix two runs.
    """
    from .checkpoint import set_rng_state

    fresh = Progress(carried=torch.zeros(2, device=device))
    found = agreed_checkpoint(args.ckpt_dir, rank, world, device) if args.ckpt_dir else None
    if found is None:
        return fresh
    path, payload = found
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    set_rng_state(payload["rng"])  # every rank draws the same numbers in this script
    extra = payload["extra"]
    differ = run_differences(extra, run_settings(args, world))
    if differ:
        raise SystemExit(f"{path} was written by a different run ({'; '.join(differ)}). Resuming it "
                         "would silently continue that run: use a new --ckpt-dir for this one.")
    if rank == 0:
        print(f"resumed from {path.name}: step {extra['step']}, epoch {extra['epoch'] + 1}, batch "
              f"{extra['batch_in_epoch']} (restart {os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')})",
              flush=True)
    return Progress(step=extra["step"], epoch=extra["epoch"], skip=extra["batch_in_epoch"],
                    losses=list(extra["losses"]),
                    carried=extra["carried"].to(device) if rank == 0 else fresh.carried,
                    resumed_from=path.name)


def save_progress(args: argparse.Namespace, rank: int, world: int, model: nn.Module,
                  optimizer: torch.optim.Optimizer, progress: Progress, total: torch.Tensor) -> None:
    """A step checkpoint, written by rank 0 (every rank must call: the epoch's loss so far is summed over
    all of them, and rank 0 then carries the sum while the others start counting again from zero)."""
    from .checkpoint import save_step_checkpoint

    so_far = total.clone()
    if world > 1:
        dist.all_reduce(so_far)
    if rank == 0:
        save_step_checkpoint(args.ckpt_dir, progress.step, keep=args.keep, model=model, optimizer=optimizer,
                             extra={"step": progress.step, "epoch": progress.epoch,
                                    "batch_in_epoch": progress.skip, "carried": so_far.cpu(),
                                    "losses": progress.losses, **run_settings(args, world)})
        total.copy_(so_far)
    elif world > 1:
        total.zero_()


def train(args: argparse.Namespace) -> dict:
    """Train and (on rank 0) save; returns a summary dict.

    With ``--ckpt-dir`` the full training state (weights, optimizer, epoch, position in the epoch,
    RNG, the running loss) is saved every ``--ckpt-every`` steps by rank 0 (:func:`save_progress`), and
    at start every rank resumes from the checkpoint rank 0 chose (:func:`resume`) -- so a job restarted
    by ``torchrun --max-restarts`` continues where the last checkpoint left off and ends with the same
    weights.
    """
    from .data import load_mnist5k

    if args.fsdp and args.ckpt_dir:
        raise SystemExit("--fsdp with --ckpt-dir is not supported by this script: resume is shown with DDP")
    if args.fsdp:
        from .device import supports

        if not supports("fsdp2"):  # prints which torch it needs, and why
            raise SystemExit(f"--fsdp cannot run on torch {torch.__version__}: see the line above.")
    rank, world, device = setup(args.device, args.timeout)
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by the {world} processes")
    if (args.batch_size // world) % args.accum_steps:
        raise SystemExit(f"--accum-steps {args.accum_steps} must divide the per-process batch "
                         f"{args.batch_size // world} (--batch-size {args.batch_size} on {world} processes)")
    if args.fsdp and args.accum_steps > 1:
        raise SystemExit("--fsdp with --accum-steps is not supported by this script: "
                         "accumulation is shown with DDP")
    torch.manual_seed(args.seed)  # identical initial weights everywhere (DDP also broadcasts rank 0's)
    data = load_mnist5k(seed=0).train
    data = Subset(data, range(min(args.samples, len(data))))
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed,
                                 drop_last=True)
    loader = DataLoader(data, batch_size=args.batch_size // world, sampler=sampler, drop_last=True)
    model = build_model().to(device)
    if args.fsdp and world > 1:
        net = shard(model)
    else:
        net = DDP(model) if world > 1 else model
    sent = count_allreduces(net) if isinstance(net, DDP) else {"allreduces": 0, "bytes": 0}
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    run = resume(args, rank, world, device, model, opt)
    first_epoch, skip = run.epoch, run.skip
    for epoch in range(first_epoch, args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        total = run.carried if epoch == first_epoch else torch.zeros(2, device=device)  # loss sum, count
        for i, (x, y) in enumerate(loader):
            if epoch == first_epoch and i < skip:
                continue  # done before the checkpoint: the sampler's order is the same, skip ahead
            x, y = x.to(device), y.to(device)
            opt.zero_grad(set_to_none=True)
            # DDP all-reduces (averages) gradients in backward -- with --accum-steps K, only in the Kth
            # micro-batch's; FSDP reduce-scatters them
            loss = accumulated_backward(net, loss_fn, x, y, args.accum_steps)
            opt.step()
            run.backward_passes += args.accum_steps
            run.step, run.epoch, run.skip = run.step + 1, epoch, i + 1
            total += torch.stack([loss.detach() * len(y), torch.tensor(len(y), device=device)])
            _kill_myself_once(run.step, rank, args)
            if args.ckpt_dir and args.ckpt_every and run.step % args.ckpt_every == 0:
                save_progress(args, rank, world, model, opt, run, total)
        if world > 1:
            dist.all_reduce(total)
        run.losses.append((total[0] / total[1]).item())
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {run.losses[-1]:.4f} (world size {world}, {device})", flush=True)
    run.sent = sent
    return finish(args, rank, world, device, model, net, run)


def finish(args: argparse.Namespace, rank: int, world: int, device: torch.device, model: nn.Module,
           net: nn.Module, run: Progress) -> dict:
    """The run's summary; the trained model saved (rank 0, or every rank's shard with FSDP); the process
    group closed."""
    from .checkpoint import save_checkpoint

    param_bytes = [local_parameter_bytes(net)]
    if world > 1:
        gathered: list = [None] * world
        dist.all_gather_object(gathered, param_bytes[0])
        param_bytes = gathered
    summary = {"world_size": world, "losses": run.losses,
               "backend": dist.get_backend() if world > 1 else "none", "global_batch": args.batch_size,
               "device": str(device), "steps": run.step, "resumed_from": run.resumed_from,
               "restarts": int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
               "sharded": bool(args.fsdp and world > 1), "param_bytes_per_rank": param_bytes,
               "accum_steps": args.accum_steps, "backward_passes": run.backward_passes,
               "allreduces": run.sent.get("allreduces", 0), "allreduce_bytes": run.sent.get("bytes", 0)}
    if args.out and args.fsdp and world > 1:
        save_sharded(args.out, net, summary)
    elif rank == 0 and args.out:
        save_checkpoint(args.out, model=model, epoch=args.epochs, extra={"arch": "ddp_train", **summary})
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return summary


def save_sharded(folder: str | os.PathLike, model: nn.Module, summary: dict) -> None:
    """Every rank writes its own shards with ``torch.distributed.checkpoint`` (DCP) into ``folder``;
    rank 0 adds ``summary.json``. No process ever holds the whole model to save it."""
    import json
    from pathlib import Path

    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_model_state_dict

    from .files import atomic_write

    dcp.save({"model": get_model_state_dict(model)}, checkpoint_id=str(folder))
    if dist.get_rank() == 0:
        atomic_write(Path(folder) / "summary.json", json.dumps(summary, indent=1) + "\n")


def sharded_to_checkpoint(folder: str | os.PathLike, out: str | os.PathLike) -> dict:
    """Turn a sharded DCP folder (written by ``--fsdp``) into one ordinary course checkpoint.

    Runs in a single process, no process group needed: DCP reads every shard and reassembles the
    full tensors. ``course_lib.predict`` and :func:`~course_lib.checkpoint.load_checkpoint` read the
    result like any other checkpoint. Returns the plain ``state_dict``.
    """
    import json
    import tempfile
    from pathlib import Path

    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    from .checkpoint import safe_load, save_checkpoint

    folder = Path(folder)
    if not (folder / ".metadata").exists():
        raise FileNotFoundError(f"{folder} is not a torch.distributed.checkpoint folder (no .metadata); "
                                "write one with `torchrun ... -m course_lib.ddp_train --fsdp --out FOLDER`")
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.pt"
        dcp_to_torch_save(folder, plain)
        state = safe_load(plain)["model"]
    model = build_model()
    model.load_state_dict(state)  # strict: every key and shape must be there
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    save_checkpoint(out, model=model, extra={"arch": "ddp_train", **summary})
    return state


def agreed_checkpoint(folder: str, rank: int, world: int, device: torch.device | None = None
                      ) -> tuple[Path, dict[str, Any]] | None:
    """The checkpoint every rank resumes from: the one **rank 0** finds newest and intact in ``folder``.

    Each rank choosing its own newest file breaks a job on several machines without one shared folder
    (or with a stale network-filesystem view): one rank resumes at step N, another starts at 0, their
    loops differ in length and the job hangs in a collective until the timeout. So rank 0 chooses and
    broadcasts the file name; a rank that cannot read that file makes **every** rank stop at once, with
    a message naming the folder.
    """
    from .checkpoint import checkpoint_problem, latest_good_checkpoint, load_checkpoint

    found = None
    if rank == 0:
        found = latest_good_checkpoint(folder, log=lambda m: print(f"rank {rank}: {m}", flush=True))
    if world == 1:
        return found
    chosen = [found[0].name if found else None]
    dist.broadcast_object_list(chosen, src=0)
    problem = ""
    if chosen[0] is not None and rank != 0:
        path = Path(folder) / chosen[0]
        problem = checkpoint_problem(path) if path.exists() else "no such file"
        if not problem:
            try:
                found = (path, load_checkpoint(path))
            except Exception as err:  # noqa: BLE001 - any unreadable file stops the job, below
                problem = str(err)
    ok = torch.tensor([0 if problem else 1], device=device)  # on the GPU for NCCL
    dist.all_reduce(ok, op=dist.ReduceOp.MIN)  # every rank learns whether all of them can resume
    if problem:
        raise SystemExit(f"rank {rank} cannot read {Path(folder) / chosen[0]}, the checkpoint rank 0 resumes "
                         f"from ({problem}). Every node needs the same --ckpt-dir: a folder they share.")
    if not ok.item():
        raise SystemExit(f"rank {rank}: another rank cannot read {chosen[0]}, the checkpoint rank 0 resumes "
                         "from: every node needs the same --ckpt-dir (a folder they share).")
    return found


#: What makes two jobs the same run: a checkpoint written under other settings must not be resumed. The
#: epoch count is not among them (resuming with more epochs trains a finished run further).
RUN_SETTINGS = ("world_size", "global_batch", "lr", "seed", "samples")


def run_settings(args: argparse.Namespace, world: int) -> dict[str, Any]:
    """The settings a step checkpoint records, so that a resume can check it continues the same run."""
    return {"world_size": world, "global_batch": args.batch_size, "lr": args.lr, "seed": args.seed,
            "samples": args.samples}


def run_differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``"lr: 0.05 in the checkpoint, 0.1 now"`` for each setting that differs (a checkpoint from before
    a setting was recorded is checked on the settings it has).

    >>> run_differences({"lr": 0.05, "seed": 0}, {"lr": 0.1, "seed": 0, "samples": 2048})
    ['lr: 0.05 in the checkpoint, 0.1 now']
    """
    return [f"{key}: {saved[key]} in the checkpoint, {current[key]} now"
            for key in RUN_SETTINGS if key in saved and key in current and saved[key] != current[key]]


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: keep at least the newest checkpoint (>= 1)")
    return value


def _at_least_one_step(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: at least one micro-batch per step (>= 1)")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64, help="global batch size (all processes)")
    p.add_argument("--accum-steps", type=_at_least_one_step, default=1,
                   help="micro-batches per step: each process splits its batch into this many, accumulates "
                        "their gradients and all-reduces once, on the last (DDP's no_sync)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--samples", type=int, default=2048, help="training images to use")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="checkpoint path written by rank 0")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="cuda: one GPU per process (NCCL); cpu: gloo; auto: cuda if there are enough GPUs")
    p.add_argument("--ckpt-dir", default="", help="save training state here, and resume from it at start")
    p.add_argument("--ckpt-every", type=int, default=10, help="steps between checkpoints (with --ckpt-dir)")
    p.add_argument("--keep", type=_at_least_one, default=3, help="newest checkpoints kept (>= 1)")
    p.add_argument("--fsdp", action="store_true",
                   help="shard the model with FSDP2 instead of replicating it (--out is then a DCP folder)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds a collective waits for a silent peer before the job fails")
    p.add_argument("--kill-at-step", type=int, default=0,
                   help="failure demo: SIGKILL rank --kill-rank at this step (first attempt only)")
    p.add_argument("--kill-rank", type=int, default=1)
    return p.parse_args(argv)


if __name__ == "__main__":
    train(parse_args(sys.argv[1:]))
