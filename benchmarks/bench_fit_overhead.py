"""How much does ``course_lib.train.fit`` cost compared with the hand-written loop of notebook 06?

Both train the same small CNN on MNIST-5k for the same number of epochs, with the same seed,
optimizer, schedule and loaders, validating after every epoch. Runs alternate (hand, fit, fit,
hand, ...) in one process so that drift in machine load hits both sides equally, and the script
prints the median of the per-pair time ratios ``fit / hand``. Target: overhead <= 3 %.

    python benchmarks/bench_fit_overhead.py                # 5 pairs of 3 epochs
    python benchmarks/bench_fit_overhead.py --repeats 9 --epochs 2 --threads 1

The first pair is a warm-up (allocator, kernels, caches) and is not counted. As a sanity check
the script also asserts that the two loops produce the same per-epoch losses. Besides wall time it
reports process CPU time, which is steadier when other programs share the machine (use it with
``--threads 1``; with several threads, spinning workers inflate CPU time).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

import course_lib as cl
from course_lib.data import load_mnist5k
from course_lib.metrics import accuracy
from course_lib.train import fit

LR = 2e-3
BATCH_SIZE = 32


def make_model() -> nn.Module:
    """The CNN of notebook 06."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )


# ----- the hand-written loop of notebook 06 (without its checkpoint files) -----------------------

def train_one_epoch(model, loader, optimizer, loss_fn, device):
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(y)
        total_loss += loss.item() * n
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += n
    return total_loss / count, correct / count


@torch.no_grad()
def evaluate_epoch(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        n = len(y)
        total_loss += loss_fn(logits, y).item() * n
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += n
    return total_loss / count, correct / count


def hand_loop(model, optimizer, scheduler, loaders, epochs, device) -> list[float]:
    train_loader, val_loader = loaders
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _epoch in range(1, epochs + 1):
        train_loss, _ = train_one_epoch(model, train_loader, optimizer, loss_fn, device)
        val_loss, _ = evaluate_epoch(model, val_loader, loss_fn, device)
        scheduler.step()
        losses += [train_loss, val_loss]
    return losses


def fit_loop(model, optimizer, scheduler, loaders, epochs, device) -> list[float]:
    train_loader, val_loader = loaders
    history = fit(model, train_loader, epochs=epochs, optimizer=optimizer, loss_fn=nn.CrossEntropyLoss(),
                  val_loader=val_loader, metrics={"acc": accuracy}, device=device, scheduler=scheduler,
                  amp=False, progress=False)
    return [v for r in history.records for v in (r["train_loss"], r["val_loss"])]


# ----- the benchmark --------------------------------------------------------------------------

def timed(loop, loaders, generator, epochs, device) -> tuple[float, float, list[float]]:
    """Wall time, process CPU time and per-epoch losses of one run from a fresh, seeded start."""
    cl.seed_everything(0)
    generator.manual_seed(0)
    model = make_model().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0, c0 = time.perf_counter(), time.process_time()
    losses = loop(model, optimizer, scheduler, loaders, epochs, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, time.process_time() - c0, losses


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5, help="timed pairs (after one warm-up pair)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--device", default=None, help="cpu / cuda / mps (default: cl.get_device())")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = cl.get_device(args.device)

    generator = cl.seed_everything(0)
    splits = load_mnist5k(seed=0)
    loaders = (DataLoader(splits.train, batch_size=BATCH_SIZE, shuffle=True, generator=generator),
               DataLoader(splits.val, batch_size=500))
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.epochs} epochs per run, {args.repeats} timed pairs")

    ratios, cpu_ratios, hand_times, fit_times = [], [], [], []
    for i in range(args.repeats + 1):
        order = ("hand", "fit") if i % 2 == 0 else ("fit", "hand")
        result = {}
        for name in order:
            loop = hand_loop if name == "hand" else fit_loop
            result[name] = timed(loop, loaders, generator, args.epochs, device)
        (t_hand, c_hand, l_hand), (t_fit, c_fit, l_fit) = result["hand"], result["fit"]
        tol = 0.0 if device.type == "cpu" else 1e-3
        assert max(abs(a - b) for a, b in zip(l_hand, l_fit)) <= tol, "the two loops diverged"
        label = "warm-up" if i == 0 else f"pair {i}"
        print(f"{label:8s} hand {t_hand:6.2f} s   fit {t_fit:6.2f} s   wall ratio {t_fit / t_hand:.3f}"
              f"   CPU-time ratio {c_fit / c_hand:.3f}")
        if i > 0:
            ratios.append(t_fit / t_hand)
            cpu_ratios.append(c_fit / c_hand)
            hand_times.append(t_hand)
            fit_times.append(t_fit)

    ratio = statistics.median(ratios)
    print(f"median hand {statistics.median(hand_times):.2f} s, "
          f"median fit {statistics.median(fit_times):.2f} s")
    print(f"median CPU-time ratio fit/hand = {statistics.median(cpu_ratios):.3f} "
          "(less sensitive to other processes on a shared machine)")
    print(f"median ratio fit/hand = {ratio:.3f}  (overhead {100 * (ratio - 1):+.1f} %, target <= +3 %)")
    return ratio


if __name__ == "__main__":
    main()
