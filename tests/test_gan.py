"""course_lib.gan: the DCGAN used by notebook 10 and the classifier-based sample judge."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_lib.gan import (
    Discriminator,
    Generator,
    class_entropy,
    count_parameters,
    dcgan_init,
    ema_update,
    features,
    fit_temperature,
    frechet_distance,
    image_grid,
    judge_samples,
    memorisation_check,
    min_class_share,
    nearest_distances,
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


# ----------------------------------------------------------------------------- diversity


def _judge_for_classes(classes: torch.Tensor, num_classes: int = 10):
    """A fake judge that confidently predicts ``classes[i]`` for image ``i`` (index in pixel 0)."""
    logits = torch.nn.functional.one_hot(classes, num_classes).float() * 20.0
    images = torch.arange(len(classes), dtype=torch.float32).view(-1, 1, 1, 1)
    images = images.expand(-1, 1, 2, 2).contiguous()
    return _FixedLogits(logits), images


def test_collapsed_generator_fails_diversity_while_classes_present_passes():
    # 95 % of 1,000 confident samples are "1"; each other class appears a few times.
    classes = torch.cat([torch.ones(950, dtype=torch.long), torch.arange(10).repeat(5)])
    j = judge_samples(*_judge_for_classes(classes))
    assert j.confident_share == 1.0
    assert j.classes_present == 10                 # the old measure is fooled ...
    assert j.class_entropy < 0.2                   # ... the entropy is not
    assert j.min_class_share == pytest.approx(5 / 1000)


def test_uniform_generator_passes_diversity():
    classes = torch.arange(10).repeat(100)
    j = judge_samples(*_judge_for_classes(classes))
    assert j.class_entropy == pytest.approx(1.0)
    assert j.min_class_share == pytest.approx(0.1)


def test_mildly_uneven_generator_stays_close_to_one():
    counts = [60, 80, 90, 100, 100, 100, 110, 110, 120, 130]   # every class within ±40 % of its share
    assert 0.98 < class_entropy(counts) < 1.0
    assert min_class_share(counts) == pytest.approx(60 / 1000)


def test_class_entropy_edge_cases():
    assert class_entropy([0, 0, 0]) == 0.0
    assert class_entropy([3, 0]) == 0.0
    assert class_entropy([2, 2]) == pytest.approx(1.0)
    assert class_entropy(torch.tensor([500, 500, 0, 0])) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        class_entropy([4])
    assert min_class_share([0, 0]) == 0.0


def test_diversity_ignores_unconfident_images():
    logits = torch.tensor([[20.0, 0, 0], [0, 20.0, 0], [0, 0, 0.1], [0, 0, 0.1]])   # last two unsure
    images = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous()
    j = judge_samples(_FixedLogits(logits), images)
    assert j.counts == [1, 1, 0]
    assert j.min_class_share == 0.0 and j.class_entropy == pytest.approx(math.log(2) / math.log(3))


# ----------------------------------------------------------------------------- distributions


def test_frechet_distance_matches_closed_form_for_gaussians():
    torch.manual_seed(0)
    a = torch.randn(20000, 2)
    b = torch.randn(20000, 2) * 2.0 + torch.tensor([1.0, 0.0])
    # N(0, I) vs N((1, 0), 4I): |Δμ|² + tr(I + 4I - 2·2I) = 1 + 2·(1 + 4 - 4) = 3
    assert frechet_distance(a, b) == pytest.approx(3.0, abs=0.1)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_punishes_a_generator_without_variety():
    torch.manual_seed(0)
    real = torch.randn(2000, 4)
    fixed = real[:10].repeat(200, 1)   # ten real points, over and over: right mean, tiny variety
    fresh = torch.randn(2000, 4)
    assert frechet_distance(fresh, real) < 0.05
    assert frechet_distance(fixed, real) > 10 * frechet_distance(fresh, real)
    with pytest.raises(ValueError):
        frechet_distance(torch.randn(5, 3), torch.randn(5, 4))


def test_features_flattens_in_eval_mode_on_cpu():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.9))
    net.train()
    x = torch.rand(4, 1, 5, 5)
    f1, f2 = features(net, x), features(net, x)
    assert f1.shape == (4, 18) and torch.equal(f1, f2)      # dropout off: deterministic
    assert net.training                                     # mode restored


# ----------------------------------------------------------------------------- memorisation


def test_nearest_distances_with_and_without_self():
    ref = torch.tensor([[0.0, 0.0], [0.0, 2.0], [5.0, 0.0]])
    assert nearest_distances(ref, ref).tolist() == [0.0, 0.0, 0.0]
    assert nearest_distances(ref, ref, exclude_self=True, batch_size=2).tolist() == [2.0, 2.0, 5.0]


def test_memorising_generator_is_flagged_and_new_images_are_not():
    torch.manual_seed(0)
    # "digits": 20 prototypes plus per-image noise; train and held-out images are distinct draws
    protos = torch.rand(20, 1, 8, 8)
    def draw(n):
        return (protos[torch.randint(0, 20, (n,))] + 0.15 * torch.randn(n, 1, 8, 8)).clamp(0, 1)
    train, heldout, new = draw(600), draw(300), draw(300)
    copies = memorisation_check(train[torch.randperm(600)[:300]], train, heldout)
    assert copies.distance_ratio == 0.0 and copies.copy_share == 1.0
    near_copies = memorisation_check((train[:300] + 0.01 * torch.randn(300, 1, 8, 8)), train, heldout)
    assert near_copies.distance_ratio < 0.2 and near_copies.copy_share > 0.9
    fresh = memorisation_check(new, train, heldout)
    assert 0.85 < fresh.distance_ratio < 1.15 and fresh.copy_share < 0.05
    assert fresh.sample_distances.shape == (300,) and fresh.heldout_distances.shape == (300,)


# ----------------------------------------------------------------------------- EMA


def test_ema_update_averages_parameters_and_float_buffers():
    torch.manual_seed(0)
    model = Generator(z_dim=4, width=4)
    average = Generator(z_dim=4, width=4)
    for p in average.parameters():
        p.data.zero_()
    bn = model.project[1]
    bn.running_mean.fill_(2.0)
    bn.num_batches_tracked.fill_(7)
    average.project[1].running_mean.zero_()
    ema_update(average, model, decay=0.75)
    for p_avg, p in zip(average.parameters(), model.parameters()):
        assert torch.allclose(p_avg, 0.25 * p)
    assert torch.allclose(average.project[1].running_mean, torch.full_like(bn.running_mean, 0.5))
    assert average.project[1].num_batches_tracked.item() == 7
    ema_update(average, model, decay=0.0)        # decay 0: an exact copy
    assert all(torch.equal(a, b) for a, b in zip(average.state_dict().values(), model.state_dict().values()))
    with pytest.raises(ValueError):
        ema_update(average, model, decay=1.5)


def test_sample_uses_running_statistics_not_the_batch():
    torch.manual_seed(0)
    G = Generator(z_dim=8, width=8)
    G.train()
    for _ in range(3):                          # collect some running statistics
        G(torch.randn(32, 8))
    z = torch.randn(6, 8)
    alone = sample(G, z=z[:1])
    together = sample(G, z=z)
    assert torch.allclose(alone[0], together[0], atol=1e-6)   # eval: a sample depends on its z only
    before = G.project[1].running_mean.clone()
    with torch.no_grad():
        train_alone = G(z[:2])[0]
        train_together = G(z)[0]
    assert not torch.allclose(train_alone, train_together, atol=1e-4)   # train: depends on the batch
    assert not torch.equal(before, G.project[1].running_mean)             # ... and updates the stats
