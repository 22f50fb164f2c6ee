"""course_lib.gan: the DCGAN used by notebook 10 and the classifier-based sample judge."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.gan import (
    Discriminator,
    Generator,
    count_parameters,
    dcgan_init,
    fit_temperature,
    image_grid,
    judge_samples,
    sample,
)


def test_generator_makes_28x28_images_in_unit_range():
    G = Generator(z_dim=16, width=8)
    out = G(torch.randn(5, 16) * 10)
    assert out.shape == (5, 1, 28, 28)
    assert out.min() >= 0 and out.max() <= 1


def test_discriminator_returns_one_logit_per_image():
    D = Discriminator(width=8)
    assert D(torch.rand(3, 1, 28, 28)).shape == (3,)
    assert Discriminator(width=8, in_channels=3)(torch.rand(2, 3, 28, 28)).shape == (2,)


def test_gradients_reach_the_generator_through_the_discriminator():
    G, D = Generator(z_dim=8, width=8), Discriminator(width=8)
    loss = nn.functional.binary_cross_entropy_with_logits(D(G(torch.randn(4, 8))), torch.ones(4))
    loss.backward()
    assert all(p.grad is not None for p in G.parameters())


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    G = Generator(z_dim=64, width=32).apply(dcgan_init)
    w = G.upsample[0].weight
    assert abs(w.mean().item()) < 0.005 and abs(w.std().item() - 0.02) < 0.002
    bn = G.upsample[1]
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and bn.bias.abs().sum() == 0
    assert G.upsample[3].bias.abs().sum() == 0


def test_count_parameters_counts_only_trainable():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    m[1].weight.requires_grad_(False)
    assert count_parameters(m) == 8 + 1


def test_sample_is_deterministic_for_fixed_noise_and_restores_mode():
    G = Generator(z_dim=8, width=8)
    G.train()
    z = torch.randn(6, 8)
    a, b = sample(G, z=z), sample(G, z=z)
    assert torch.equal(a, b) and a.shape == (6, 1, 28, 28)
    assert G.training
    assert sample(G, 3, generator_rng=torch.Generator().manual_seed(0)).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="count n or a noise"):
        sample(G)


class _FixedLogits(nn.Module):
    """A fake classifier: returns preset logits for each image (by its first pixel value)."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.logits = logits

    def forward(self, x):
        return self.logits[x[:, 0, 0, 0].long()]


def test_judge_samples_counts_confident_images_and_classes():
    big, small = 10.0, 0.1
    logits = torch.tensor([
        [big, 0, 0],       # confident class 0
        [0, big, 0],       # confident class 1
        [0, big, 0],       # confident class 1
        [small, 0, 0],     # unsure (top prob < 0.9)
    ])
    clf = _FixedLogits(logits)
    images = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous()
    j = judge_samples(clf, images)
    assert j.confident_share == pytest.approx(0.75)
    assert j.counts == [1, 2, 0]
    assert j.classes_present == 2
    assert j.predictions.tolist() == [0, 1, 1, 0]
    assert judge_samples(clf, images, min_count=2).classes_present == 1
    assert judge_samples(clf, images, threshold=0.2).confident_share == 1.0


def test_judge_samples_rejects_flat_input():
    with pytest.raises(ValueError, match="N×C×H×W"):
        judge_samples(nn.Linear(4, 2), torch.rand(3, 4))


def test_image_grid_places_images():
    imgs = torch.stack([torch.full((1, 2, 2), float(i)) for i in range(3)])
    grid = image_grid(imgs, nrow=2, padding=1, pad_value=-1)
    assert grid.shape == (1, 7, 7)
    assert grid[0, 1, 1] == 0 and grid[0, 1, 4] == 1 and grid[0, 4, 1] == 2
    assert grid[0, 4, 4] == -1  # empty slot stays padding


def test_judge_temperature_sharpens_confidence():
    clf = _FixedLogits(torch.tensor([[1.0, 0.0, 0.0]]))
    images = torch.zeros(2, 1, 2, 2)
    assert judge_samples(clf, images).confident_share == 0.0
    assert judge_samples(clf, images, temperature=0.2).confident_share == 1.0


def test_fit_temperature_sharpens_an_underconfident_classifier():
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (200,))
    logits = torch.nn.functional.one_hot(labels, 3).float() * 0.5  # always right, but shy
    images = logits.view(200, 1, 1, 3)
    clf = nn.Sequential(nn.Flatten(), nn.Identity())
    clf.append(nn.Linear(3, 3))
    with torch.no_grad():
        clf[2].weight.copy_(torch.eye(3))
        clf[2].bias.zero_()
    T = fit_temperature(clf, images, labels)
    assert T < 0.2
    assert judge_samples(clf, images, temperature=T).confident_share == 1.0
