"""GAN helpers taught in notebook 10: a small DCGAN for 28×28 images and a way to judge samples.

The generator maps a noise vector to an image in [0, 1]; the discriminator maps an image to one
logit ("real" when positive). :func:`judge_samples` asks a trained classifier how confidently it
recognises generated images and how evenly they spread over the classes — a cheap stand-in for a
human judge. :func:`frechet_distance` compares whole distributions of (judge) features,
:func:`memorisation_check` tells new images from copies of the training set, and :func:`ema_update`
keeps an exponential moving average of the generator's weights.

>>> import torch
>>> G, D = Generator(z_dim=16), Discriminator()
>>> fake = G(torch.randn(4, 16))
>>> fake.shape, D(fake).shape
(torch.Size([4, 1, 28, 28]), torch.Size([4]))
"""

from __future__ import annotations

import math
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
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """Move ``average``'s weights towards ``model``'s: ``w_avg ← decay·w_avg + (1 − decay)·w``.

    ``average`` is a copy of ``model`` (``copy.deepcopy``) that is never trained directly; after
    every optimiser step it follows the model slowly, which smooths out the step-to-step
    oscillations of GAN training (the "EMA generator" of Karras et al., 2018, and of most GANs
    since). Floating-point buffers (batch-norm running statistics) are averaged the same way;
    integer buffers (``num_batches_tracked``) are copied.

    >>> a, m = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
    >>> _ = a.weight.data.fill_(0.0), m.weight.data.fill_(1.0)
    >>> ema_update(a, m, decay=0.9); round(a.weight.item(), 6)
    0.1
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")
    for p_avg, p in zip(average.parameters(), model.parameters(), strict=True):
        p_avg.lerp_(p.detach(), 1.0 - decay)
    for b_avg, b in zip(average.buffers(), model.buffers(), strict=True):
        if b_avg.is_floating_point():
            b_avg.lerp_(b, 1.0 - decay)
        else:
            b_avg.copy_(b)


@torch.no_grad()
def sample(generator: nn.Module, n: int | None = None, *, z: torch.Tensor | None = None,
           z_dim: int | None = None, device: torch.device | str | None = None,
           generator_rng: torch.Generator | None = None, batch_size: int = 500) -> torch.Tensor:
    """Generate images with ``generator`` in eval mode, returned on the CPU.

    Eval mode matters for a generator with batch norm: each batch-norm layer then normalises
    with the running mean and variance it collected during training instead of the statistics
    of the current batch, so a sample depends only on its own noise vector — not on the other
    noise vectors it happens to be batched with — and nothing (no running statistic) changes.
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

    A classifier that is far too sure of itself on noisy labels gets softened (``T`` well above 1):

    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(200, 2, generator=g)
    >>> y = (x[:, 0] + 0.8 * torch.randn(200, generator=g) > 0).long()
    >>> clf = nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = clf.weight.copy_(torch.tensor([[-20.0, 0.0], [20.0, 0.0]])), clf.bias.zero_()
    >>> fit_temperature(clf, x, y) > 3
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


def class_entropy(counts) -> float:
    """Normalised entropy of a class histogram: 1 when all ``K`` classes are equally frequent,
    0 when every sample is one class.

    ``H = −Σ p_k log p_k / log K`` with ``p_k = counts_k / Σ counts`` (``0 log 0 = 0``); an empty
    histogram scores 0. A generator that draws one class 95 % of the time scores about 0.14.

    >>> class_entropy([5, 5, 5, 5]), class_entropy([0, 8, 0, 0]), round(class_entropy([1, 1, 0, 0]), 3)
    (1.0, 0.0, 0.5)
    """
    counts = torch.as_tensor(counts, dtype=torch.float64).cpu()
    if counts.dim() != 1 or len(counts) < 2:
        raise ValueError("class_entropy needs a 1-D histogram over at least 2 classes")
    if counts.sum() <= 0:
        return 0.0
    p = counts / counts.sum()
    p = p[p > 0]
    return abs(round(float(-(p * p.log()).sum() / math.log(len(counts))), 12))


def min_class_share(counts) -> float:
    """Share of the rarest class in a histogram (``1/K`` when uniform, 0 when a class is missing).

    >>> min_class_share([30, 10, 60]), min_class_share([5, 0, 5])
    (0.1, 0.0)
    """
    counts = torch.as_tensor(counts, dtype=torch.float64).cpu()
    total = float(counts.sum())
    return float(counts.min()) / total if total > 0 else 0.0


@dataclass
class Judgement:
    """What a classifier thinks of a batch of generated images (see :func:`judge_samples`)."""

    confident_share: float        #: share of images whose top softmax probability ≥ threshold
    classes_present: int          #: number of classes with at least ``min_count`` confident images
    counts: list[int]             #: confident images per class
    predictions: torch.Tensor     #: predicted class of every image (``int64``, CPU)
    confidence: torch.Tensor      #: top softmax probability of every image (CPU)
    class_entropy: float = 0.0    #: normalised entropy of ``counts`` (1 = all classes equally often)
    min_class_share: float = 0.0  #: share of the rarest class among the confident images (uniform: 1/K)


@torch.no_grad()
def judge_samples(classifier: nn.Module, images: torch.Tensor, *, threshold: float = 0.9,
                  temperature: float = 1.0, min_count: int = 1, batch_size: int = 500) -> Judgement:
    """Judge generated images with a trained classifier.

    An image counts as *confident* when the classifier's highest softmax probability is at
    least ``threshold``; the logits are divided by ``temperature`` first (see
    :func:`fit_temperature`). *Fidelity* is the share of confident images; *diversity* is how
    evenly the confident images spread over the classes: :func:`class_entropy` of their
    histogram and the share of the rarest class (:func:`min_class_share`). ``classes_present``
    (classes with at least ``min_count`` confident images) is reported too, but it is a weak
    diversity measure: one confident sample is enough to make a class "present".

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
        class_entropy=class_entropy(counts),
        min_class_share=min_class_share(counts),
    )


@torch.no_grad()
def features(extractor: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``extractor(images)`` in eval mode and in batches, flattened to ``N×F`` float32 on the CPU.

    >>> features(nn.Conv2d(1, 2, 3), torch.rand(5, 1, 4, 4)).shape
    torch.Size([5, 8])
    """
    return _logits(extractor, images, batch_size).flatten(1)


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows = samples).

    ``‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2})`` — the formula of the FID
    (Heusel et al., 2017), which uses Inception-v3 features; any feature extractor works, for
    digits a trained digit classifier's penultimate layer. 0 for identical statistics; it grows
    when the means move apart *and* when one set is less varied than the other (a generator that
    draws ten perfect but fixed images has a tiny covariance and a large distance). Computed on
    the CPU in float64 (MPS has no float64); it is biased upwards for small sets, so compare
    distances computed with the same numbers of samples.

    >>> x = torch.randn(500, 3)
    >>> frechet_distance(x, x) < 1e-6, round(frechet_distance(x, x + 2.0), 3)
    (True, 12.0)
    """
    a = a.detach().cpu().double().flatten(1)
    b = b.detach().cpu().double().flatten(1)
    if a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"need ≥ 2 rows with the same width each, got {tuple(a.shape)} and {tuple(b.shape)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    vals, vecs = torch.linalg.eigh(cov_a)
    sqrt_a = vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T
    cross = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp(min=0).sqrt().sum()
    value = (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross
    return max(float(value), 0.0)


@torch.no_grad()
def nearest_distances(queries: torch.Tensor, reference: torch.Tensor, *, batch_size: int = 500,
                      exclude_self: bool = False) -> torch.Tensor:
    """Euclidean distance from each query image to its nearest image in ``reference`` (CPU, float32).

    Images are flattened; the work runs on ``reference``'s device in float32, in chunks of
    ``batch_size`` queries. The nearest image is found with one matrix product
    (``‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r``, which never builds a queries × reference × pixels
    tensor) and its distance is then recomputed exactly, so an exact copy is at distance 0.
    With ``exclude_self=True`` (queries *are* the reference) an image's own entry is skipped.

    >>> ref = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    >>> nearest_distances(torch.tensor([[0.0, 1.0], [3.0, 4.0]]), ref).tolist()
    [1.0, 0.0]
    """
    ref = reference.flatten(1).float()
    ref_sq = ref.pow(2).sum(dim=1)
    out = []
    for start, chunk in zip(range(0, len(queries), batch_size), queries.split(batch_size)):
        q = chunk.flatten(1).float().to(ref.device)
        d2 = q.pow(2).sum(dim=1, keepdim=True) + ref_sq[None, :] - 2.0 * q @ ref.T
        if exclude_self:
            idx = torch.arange(len(q), device=d2.device)
            d2[idx, idx + start] = float("inf")
        nearest = d2.argmin(dim=1)
        out.append((q - ref[nearest]).norm(dim=1).cpu())
    return torch.cat(out)


@dataclass
class Memorisation:
    """How close generated images sit to the training set (see :func:`memorisation_check`)."""

    distance_ratio: float          #: median sample→train distance ÷ median held-out→train distance
    copy_share: float              #: share of samples closer to train than ``quantile`` of held-out images
    threshold: float               #: that distance: the ``quantile`` of the held-out→train distances
    sample_distances: torch.Tensor  #: nearest-training-image distance of every sample (CPU)
    heldout_distances: torch.Tensor  #: nearest-training-image distance of every held-out image (CPU)


def memorisation_check(samples: torch.Tensor, train: torch.Tensor, heldout: torch.Tensor, *,
                       quantile: float = 0.01, batch_size: int = 500) -> Memorisation:
    """Compare generated images with held-out real images by their distance to the training set.

    Real images the generator never saw (``heldout``) are a typical distance away from their
    nearest training image; a generator that memorised its training set draws images *much*
    nearer. ``distance_ratio`` is the median sample→train distance over the median
    held-out→train distance (about 1 for new, real-looking images; 0 for copies);
    ``copy_share`` is the share of samples nearer to the training set than all but the closest
    ``quantile`` of held-out images (about ``quantile`` for new images; 1 for copies).
    Pixel distance is a blunt tool — a shifted copy is far away — but it catches the plain
    memorisation that would otherwise score perfectly with a classifier judge.

    >>> train, heldout = torch.rand(50, 1, 4, 4), torch.rand(50, 1, 4, 4)
    >>> memorisation_check(train[:20], train, heldout).copy_share
    1.0
    """
    d_samples = nearest_distances(samples, train, batch_size=batch_size)
    d_heldout = nearest_distances(heldout, train, batch_size=batch_size)
    threshold = float(torch.quantile(d_heldout, quantile))
    return Memorisation(
        distance_ratio=float(d_samples.median() / d_heldout.median()),
        copy_share=float((d_samples < threshold).float().mean()),
        threshold=threshold,
        sample_distances=d_samples,
        heldout_distances=d_heldout,
    )


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Tile ``N×C×H×W`` images into one ``C×H'×W'`` tensor (for ``plt.imshow`` of many samples).

    >>> image_grid(torch.zeros(6, 1, 4, 4), nrow=3, padding=1).shape
    torch.Size([1, 11, 16])
    """
    from torchvision.utils import make_grid

    # make_grid turns one channel into three identical ones; keep the input's channel count.
    return make_grid(images.detach().cpu(), nrow=nrow, padding=padding, pad_value=pad_value)[:images.shape[1]]
