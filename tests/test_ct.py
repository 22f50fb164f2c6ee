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
        lesions = ct.LesionParams()
        if s["label"]:
            assert lesions.radius_px[0] <= s["nodule_radius"] <= lesions.radius_px[1]
            assert lesions.hu[0] <= s["nodule_hu"] <= lesions.hu[1]
            assert lesions.partial_volume[0] <= s["partial_volume"] <= lesions.partial_volume[1]
            inside = s["phantom"][s["mask"]]
            assert np.median(inside) > ct.HU["lung"] + 60       # denser than the lung around it
        else:
            assert np.isnan(s["nodule_radius"]) and np.isnan(s["partial_volume"])


def test_lesions_are_nodules_not_masses():
    """A nodule is at most 30 mm across; anything larger is a mass."""
    params, lesions = ct.ScanParams(), ct.LesionParams()
    assert 2 * lesions.radius_px[1] * params.pixel_mm <= 30
    sizes = [ct.simulate_slice(11, i, nodule=True)["nodule_radius"] for i in range(6)]
    assert max(sizes) * 2 * params.pixel_mm <= 30


def test_small_nodules_are_smaller_and_fainter_but_still_nodules():
    """Notebook 09's full mode: smaller, fainter nodules than the defaults, still denser than the lung."""
    params, big, small = ct.ScanParams(), ct.LesionParams(), ct.SMALL_NODULES
    assert small.radius_px[0] < big.radius_px[0] and small.radius_px[1] < big.radius_px[1]
    assert small.partial_volume[0] < big.partial_volume[0]
    assert 2 * small.radius_px[1] * params.pixel_mm <= 30
    for i in range(4):
        s = ct.simulate_slice(12, i, nodule=True, lesions=small)
        assert small.radius_px[0] <= s["nodule_radius"] <= small.radius_px[1]
        assert small.partial_volume[0] <= s["partial_volume"] <= small.partial_volume[1]
        assert s["mask"].any() and np.median(s["phantom"][s["mask"]]) > ct.HU["lung"] + 60


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


def test_cache_key_covers_settings_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    params = ct.ScanParams()
    base = ct._cache_path(10, 0, 0.3, params)
    assert base == ct._cache_path(10, 0, 0.3, params)
    assert base != ct._cache_path(10, 0, 0.3, params, ct.LesionParams(radius_px=(1.0, 2.0)))
    assert base != ct._cache_path(10, 0, 0.3, ct.ScanParams(photons=1e4))
    monkeypatch.setattr(ct, "simulation_fingerprint", lambda: "edited-simulation")
    assert base != ct._cache_path(10, 0, 0.3, params)       # editing the code never reuses the cache


def test_fingerprint_follows_the_simulation_source(monkeypatch):
    before = ct.simulation_fingerprint()
    monkeypatch.setitem(ct.HU, "lung", -830.0)
    assert ct.simulation_fingerprint() != before


def test_rescan_is_a_lower_dose(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    data = ct.simulate_ct_dataset(3, seed=2, cache=False, progress=False)
    assert data.sinograms.shape == (3, 64, ct.ScanParams().n_angles) and data.sinograms.dtype == np.float32
    same = ct.rescan(data, [0, 1, 2], photons=data.params.photons, seed=5)
    low = ct.rescan(data, [0, 1, 2], photons=data.params.photons / 10, seed=5)
    again = ct.rescan(data, [0, 1, 2], data.params.photons, seed=5)
    assert same.dtype == np.float32 and np.array_equal(same, again)     # deterministic by seed
    centre = (slice(None), slice(28, 36), slice(28, 36))
    noise_same = (same - data.images)[centre].std()
    noise_low = (low - data.images)[centre].std()
    assert noise_low > 2 * noise_same                        # 10x fewer photons: much more noise
    assert abs(np.median(low[centre]) - np.median(data.images[centre])) < 40   # HU scale kept


def test_lung_field_and_histograms(slices):
    for s in slices:
        field = ct.lung_field(s["image"])
        truth = (s["phantom"] < -500) & (s["phantom"] > -950)   # lung, not the air outside
        assert (field & truth).sum() > 0.8 * truth.sum()       # finds the lungs...
        assert not field[0, 0] and not field[:, :3].any()      # ...not the air around the body
        if s["label"]:
            assert field[s["mask"]].mean() > 0.5              # nodules lie (mostly) inside the field
    feats = ct.hu_histograms(np.stack([s["image"] for s in slices]))
    assert feats.shape == (4, len(ct.HISTOGRAM_EDGES) - 1)
    assert np.allclose(feats.sum(1), [ct.lung_field(s["image"]).sum() for s in slices])


def test_cache_is_read_and_a_damaged_one_is_rebuilt(tmp_path, monkeypatch):
    import pytest

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    params = ct.ScanParams(size=32, n_angles=24)
    a = ct.simulate_ct_dataset(4, seed=3, params=params, progress=False)
    [path] = list((tmp_path / "cache").glob("ct_sim_4_3_*.npz"))

    with np.load(path) as z:  # mark the cached images: a second call must return the marked ones
        arrays = dict(z)
    arrays["images"] = np.full_like(arrays["images"], 7)
    np.savez(path, **arrays)
    b = ct.simulate_ct_dataset(4, seed=3, params=params, progress=False)
    assert (b.images == 7).all(), "the cache was not read"
    path.unlink()
    a = ct.simulate_ct_dataset(4, seed=3, params=params, progress=False)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])  # a truncated file (a crash, a full disk)
    with pytest.warns(UserWarning, match="damaged"):
        c = ct.simulate_ct_dataset(4, seed=3, params=params, progress=False)
    assert np.array_equal(a.images, c.images)
    d = ct.simulate_ct_dataset(4, seed=3, params=params, progress=False)  # rebuilt file reads cleanly
    assert np.array_equal(a.images, d.images)


def test_two_builders_of_one_cache_do_not_collide(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    params = ct.ScanParams(size=32, n_angles=24)
    errors, results = [], []

    def build():
        try:
            results.append(ct.simulate_ct_dataset(3, seed=4, params=params, progress=False).images)
        except Exception as err:  # noqa: BLE001 -- collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3 and all(np.array_equal(results[0], r) for r in results)
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npz"]  # no temporary file left
