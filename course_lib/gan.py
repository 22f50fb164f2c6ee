"""GAN helpers taught in notebook 10: a small DCGAN for 28×28 images and a way to judge samples.

The generator maps a noise vector to an image in [0, 1]; the discriminator maps an image to one
logit ("real" when positive). :func:`judge_samples` asks a trained classifier how confidently it
recognises generated images and which classes they cover — a cheap stand-in for a human judge.

>>> import torch
>>> G, D = Generator(z_dim=16), Discriminator()
>>> fake = G(torch.randn(4, 16))
>>> fake.shape, D(fake).shape
(torch.Size([4, 1, 28, 28]), torch.Size([4]))
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


class Generator(nn.Module):
    """DCGAN generator for ``1×28×28`` images: noise ``z`` → 7×7 → 14×14 → 28×28, values in [0, 1].

    A linear layer lifts ``z`` to ``2·width`` feature maps of 7×7; two stride-2 transposed
    convolutions double the resolution twice. Batch norm + ReLU inside, a sigmoid at the end so
    samples live in the same [0, 1] range as the data.

    >>> Generator(z_dim=8, width=16)(torch.randn(3, 8)).shape
    torch.Size([3, 1, 28, 28])
    """

    def __init__(self, z_dim: int = 64, width: int = 64, out_channels: int = 1) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.project = nn.Sequential(
            nn.Linear(z_dim, 2 * width * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * width * 7 * 7),
            nn.ReLU(inplace=True),
            nn.Unflatten(1, (2 * width, 7, 7)),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),                                  # 7×7 → 14×14
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, out_channels, kernel_size=4, stride=2, padding=1),
            nn.Sigmoid(),                                           # 14×14 → 28×28
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(z))


class Discriminator(nn.Module):
    """DCGAN discriminator for ``C×28×28`` images: two stride-2 convolutions and a linear layer.

    Returns one **logit** per image (shape ``N``): pair it with ``nn.BCEWithLogitsLoss``.
    LeakyReLU keeps a gradient flowing for negative inputs, which the generator depends on.

    >>> Discriminator(width=8)(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5])
    """

    def __init__(self, width: int = 32, in_channels: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, kernel_size=4, stride=2, padding=1),   # 28 → 14
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, kernel_size=4, stride=2, padding=1, bias=False),  # 14 → 7
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN weight init (Radford et al., 2016): use as ``model.apply(dcgan_init)``.

    Conv / transposed-conv / linear weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02),
    all biases 0.

    >>> m = nn.Conv2d(1, 64, 3)
    >>> m.apply(dcgan_init) is m and bool(m.bias.abs().sum() == 0)
    True
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters.

    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def sample(generator: nn.Module, n: int | None = None, *, z: torch.Tensor | None = None,
           z_dim: int | None = None, device: torch.device | str | None = None,
           generator_rng: torch.Generator | None = None, batch_size: int = 500) -> torch.Tensor:
    """Generate images with ``generator`` in eval mode, returned on the CPU.

    Pass fixed noise ``z`` (to watch the same samples evolve) or a count ``n``; the noise size
    defaults to ``generator.z_dim``. The generator's train/eval mode is restored afterwards.

    >>> sample(Generator(z_dim=8), 3).shape
    torch.Size([3, 1, 28, 28])
    """
    if device is None:
        device = next(generator.parameters()).device
    if z is None:
        if n is None:
            raise ValueError("sample() needs a count n or a noise tensor z")
        z_dim = z_dim or generator.z_dim
        z = torch.randn(n, z_dim, generator=generator_rng)
    was_training = generator.training
    generator.eval()
    try:
        out = [generator(chunk.to(device)).cpu() for chunk in z.split(batch_size)]
    finally:
        generator.train(was_training)
    return torch.cat(out)


@torch.no_grad()
def _logits(classifier: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    try:
        return torch.cat([classifier(chunk.to(device)).float().cpu() for chunk in images.split(batch_size)])
    finally:
        classifier.train(was_training)


def fit_temperature(classifier: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                    steps: int = 100) -> float:
    """Temperature scaling (Guo et al., 2017): the ``T`` that makes ``softmax(logits / T)`` calibrated.

    Fits one scalar on held-out labelled data by minimising the cross-entropy of
    ``logits / T``; the predictions (argmax) do not change, only the confidence. ``T < 1``
    sharpens an under-confident classifier (for example one trained with label smoothing),
    ``T > 1`` softens an over-confident one. Pass the result to :func:`judge_samples`.

    >>> clf = nn.Linear(2, 2)
    >>> T = fit_temperature(clf, torch.randn(20, 2), torch.randint(0, 2, (20,)))
    >>> T > 0
    True
    """
    logits = _logits(classifier, images)
    labels = labels.cpu()
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return float(log_t.detach().exp())


@dataclass
class Judgement:
    """What a classifier thinks of a batch of generated images (see :func:`judge_samples`)."""

    confident_share: float        #: share of images whose top softmax probability ≥ threshold
    classes_present: int          #: number of classes among the confident images
    counts: list[int]             #: confident images per class
    predictions: torch.Tensor     #: predicted class of every image (``int64``, CPU)
    confidence: torch.Tensor      #: top softmax probability of every image (CPU)


@torch.no_grad()
def judge_samples(classifier: nn.Module, images: torch.Tensor, *, threshold: float = 0.9,
                  temperature: float = 1.0, min_count: int = 1, batch_size: int = 500) -> Judgement:
    """Judge generated images with a trained classifier.

    An image counts as *confident* when the classifier's highest softmax probability is at
    least ``threshold``; a class is *present* when at least ``min_count`` confident images are
    predicted as it; the logits are divided by ``temperature`` first (see
    :func:`fit_temperature`). A GAN that draws sharp, varied digits scores high on both; blurry samples
    lower the share, and mode collapse lowers the number of classes.

    >>> clf = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> j = judge_samples(clf, torch.rand(6, 1, 2, 2))
    >>> len(j.counts), j.predictions.shape
    (3, torch.Size([6]))
    """
    if images.dim() != 4:
        raise ValueError(f"judge_samples expects N×C×H×W images, got shape {tuple(images.shape)}")
    logits = _logits(classifier, images, batch_size)
    probs = (logits / temperature).softmax(dim=1)
    confidence, predictions = probs.max(dim=1)
    confident = confidence >= threshold
    counts = torch.bincount(predictions[confident], minlength=logits.shape[1]).tolist()
    return Judgement(
        confident_share=float(confident.float().mean()) if len(images) else 0.0,
        classes_present=sum(c >= min_count for c in counts),
        counts=counts,
        predictions=predictions,
        confidence=confidence,
    )


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Tile ``N×C×H×W`` images into one ``C×H'×W'`` tensor (for ``plt.imshow`` of many samples).

    >>> image_grid(torch.zeros(6, 1, 4, 4), nrow=3, padding=1).shape
    torch.Size([1, 11, 16])
    """
    from torchvision.utils import make_grid

    # make_grid turns one channel into three identical ones; keep the input's channel count.
    return make_grid(images.detach().cpu(), nrow=nrow, padding=padding, pad_value=pad_value)[:images.shape[1]]
