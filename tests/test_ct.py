"""Tests for course_lib.ct: the simulated chest-CT slices are deterministic and physically sensible."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import ct


@pytest.fixture(scope="module")
def slices():
    return [ct.simulate_slice(7, i, nodule=bool(i % 2)) for i in range(4)]


def test_same_seed_same_arrays():
    a, b = ct.simulate_slice(3, 5), ct.simulate_slice(3, 5)
    for key in ("phantom", "sinogram", "noisy_sinogram", "image", "mask"):
        assert np.array_equal(a[key], b[key]), key
    c = ct.simulate_slice(4, 5)
    assert not np.array_equal(a["image"], c["image"])


def test_shapes(slices):
    s = slices[0]
    assert s["phantom"].shape == s["image"].shape == s["mask"].shape == (64, 64)
    assert s["sinogram"].shape == (64, ct.ScanParams().n_angles)
    assert s["mask"].dtype == bool


def test_phantom_hu_ranges(slices):
    for s in slices:
        ph = s["phantom"]
        assert ph[0, 0] == -1000.0                             # air outside the body
        assert ph.max() <= ct.HU["bone"] + 101                 # nothing denser than bone
        centre = ph[28:36, 30:34]                              # mediastinum: soft tissue / blood
        assert np.median(centre) == pytest.approx(40, abs=60)
        lung = ph[20:44, 10:18]                                # patient's right lung field
        assert -900 < np.median(lung) < -700


def test_reconstruction_keeps_hu_scale(slices):
    for s in slices:
        img = s["image"]
        assert np.all(img == np.rint(img))                      # whole HU, as scanners store them
        assert abs(np.median(img[:4, :4]) + 1000) < 30          # air
        assert -950 < np.median(img[20:44, 10:18]) < -650       # lung
        assert 0 < np.median(img[28:36, 30:34]) < 110           # soft tissue
        assert np.abs(img - s["phantom"]).mean() > 1.0          # noise and artefacts are there


def test_labels_match_nodules(slices):
    for i, s in enumerate(slices):
        assert s["label"] == i % 2
        assert s["mask"].any() == bool(s["label"])
        if s["label"]:
            assert 1.8 <= s["nodule_radius"] <= 4.0 and -300 <= s["nodule_hu"] <= 60
            inside = s["phantom"][s["mask"]]
            assert np.median(inside) > -500                     # denser than the lung around it
        else:
            assert np.isnan(s["nodule_radius"])


def test_noise_depends_on_dose():
    rng = np.random.default_rng(0)
    clean = np.full((64, 10), 3.0)
    low = ct.add_photon_noise(clean, rng, ct.ScanParams(photons=1e3))
    high = ct.add_photon_noise(clean, rng, ct.ScanParams(photons=1e6))
    assert low.std() > 5 * high.std()


def test_hu_mu_round_trip():
    hu = np.array([-1000.0, -800.0, 0.0, 40.0, 700.0])
    assert np.allclose(ct.mu_to_hu(ct.hu_to_mu(hu)), hu)


def test_dataset_cache_and_determinism(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    params = ct.ScanParams(size=32, n_angles=24)
    a = ct.simulate_ct_dataset(6, seed=1, params=params, progress=False)
    files = list((tmp_path / "cache").glob("ct_sim_6_1_*.npz"))
    assert len(files) == 1
    b = ct.simulate_ct_dataset(6, seed=1, params=params, progress=False)   # from the cache
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert a.images.shape == (6, 32, 32) and a.images.dtype == np.float32
    assert np.array_equal(a.labels, np.array([int(m.any()) for m in a.masks]))
    # slice i depends only on (seed, i): a bigger set starts with the same slices
    c = ct.simulate_ct_dataset(8, seed=1, params=params, cache=False, progress=False)
    assert np.array_equal(c.images[:6], a.images)
    tr, va, te = c.split(val=0.25, test=0.25)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(8))
