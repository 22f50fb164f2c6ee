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


def setup(requested: str = "auto") -> tuple[int, int, torch.device]:
    """Join the process group if launched by torchrun; return (rank, world_size, device)."""
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
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return rank, world, device


def train(args: argparse.Namespace) -> dict:
    """Train and (on rank 0) save; returns a summary dict."""
    from .checkpoint import save_checkpoint
    from .data import load_mnist5k

    rank, world, device = setup(args.device)
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by the {world} processes")
    torch.manual_seed(args.seed)  # identical initial weights everywhere (DDP also broadcasts rank 0's)
    data = load_mnist5k(seed=0).train
    data = Subset(data, range(min(args.samples, len(data))))
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed,
                                 drop_last=True)
    loader = DataLoader(data, batch_size=args.batch_size // world, sampler=sampler, drop_last=True)
    model = build_model().to(device)
    ddp = DDP(model) if world > 1 else model
    opt = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        total = torch.zeros(2, device=device)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(ddp(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # DDP all-reduces (averages) gradients here
            opt.step()
            total += torch.stack([loss.detach() * len(y), torch.tensor(len(y), device=device)])
        if world > 1:
            dist.all_reduce(total)
        losses.append((total[0] / total[1]).item())
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {losses[-1]:.4f} (world size {world}, {device})", flush=True)
    summary = {"world_size": world, "losses": losses, "backend": dist.get_backend() if world > 1 else "none",
               "global_batch": args.batch_size, "device": str(device)}
    if rank == 0 and args.out:
        save_checkpoint(args.out, model=model, epoch=args.epochs, extra=summary)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64, help="global batch size (all processes)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--samples", type=int, default=2048, help="training images to use")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="", help="checkpoint path written by rank 0")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="cuda: one GPU per process (NCCL); cpu: gloo; auto: cuda if there are enough GPUs")
    return p.parse_args(argv)


if __name__ == "__main__":
    train(parse_args(sys.argv[1:]))
