"""A physically simulated chest-CT data set (notebook 09): slices with and without lung nodules.

Each slice is made the way a scanner makes one, only much smaller:

1. a chest-like **phantom** in Hounsfield units (HU): air, body with a fat layer, two lung
   fields, heart, aorta, spine, sternum, ribs, lung vessels and, for positive slices, a
   nodule (≤ 30 mm, see :class:`LesionParams`) of random size, density and slice coverage,
   often touching a vessel — drawn on a 2× finer grid and averaged down, so small
   structures suffer partial-volume blur like real voxels;
2. HU → linear attenuation μ and a **sinogram** of line integrals with ``skimage.transform.radon``;
3. **photon noise**: ``I0·exp(−∫μ)`` photons reach each detector, we draw Poisson counts
   plus a little Gaussian electronic noise and take the log again;
4. **filtered back-projection** with ``skimage.transform.iradon`` (ramp filter) and back to
   HU, rounded to whole HU and stored as 16-bit integers, as scanners store them.

So the images carry real CT artefacts (noise texture, streaks from the few views, blur) but
the truth (label and nodule mask) is known exactly. Everything is deterministic by seed:
slice ``i`` of data set ``seed`` depends only on ``(seed, i)``. The module also holds what
notebook 09 builds around the images: re-scanning a slice at another dose from its sinogram
(:func:`rescan`, for augmentation) and the lung-field HU histogram of the non-deep baseline
(:func:`lung_field`, :func:`hu_histograms`).

>>> ph = chest_phantom(np.random.default_rng(0), size=64, nodule=True)
>>> ph.hu.shape, bool(ph.mask.any())
((64, 64), True)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import warnings
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .config import cache_dir
from .files import atomic_open

#: Approximate HU of the tissues in the phantom. "spongy_bone" is the cancellous bone inside a vertebra
#: (its mineral puts it near 250 HU; the marrow fat alone would be about -100 to +50).
HU = {"air": -1000.0, "lung": -820.0, "fat": -100.0, "soft_tissue": 40.0, "blood": 40.0,
      "bone": 700.0, "spongy_bone": 250.0}

#: Linear attenuation coefficient of water at ~70 keV (per mm); μ = μ_water · (1 + HU/1000).
MU_WATER = 0.0193

#: The two classic display windows, as (centre, width) in HU.
LUNG_WINDOW = (-600.0, 1500.0)
MEDIASTINAL_WINDOW = (40.0, 400.0)

CLASSES = ["no nodule", "nodule"]


@dataclass(frozen=True)
class ScanParams:
    """Acquisition settings of the simulated scanner.

    ``fov_mm`` is the width of the reconstructed field of view (so the pixel size is
    ``fov_mm / size``), ``n_angles`` the number of projection angles over 180°, ``photons``
    the unattenuated photon count per detector reading (lower = noisier, i.e. lower dose),
    ``electronic_noise`` the standard deviation of additive detector noise in counts.
    """

    size: int = 64
    n_angles: int = 48
    photons: float = 2e4
    electronic_noise: float = 3.0
    fov_mm: float = 360.0
    supersample: int = 2

    @property
    def pixel_mm(self) -> float:
        return self.fov_mm / self.size


@dataclass(frozen=True)
class LesionParams:
    """What the simulated lesions (and their look-alikes, the lung vessels) look like.

    ``radius_px``: half the nodule's longest diameter in output pixels (at 5.625 mm pixels,
    1.8–2.65 px is about 20–30 mm across: all *nodules*, which by definition are ≤ 30 mm;
    larger lesions are *masses*). ``hu``: the nodule's own density, from part-solid (−300) to
    solid (+60).
    ``partial_volume``: the share of the slice thickness the nodule fills — a nodule cut near
    its top or bottom fills only part of it, and the voxel averages nodule and lung:
    ``lung + f · (nodule − lung)``. ``near_vessel``: probability that the nodule touches a
    lung vessel. ``vessels``/``vessel_radius_px``: how many vessels (min, max) and how thick.
    """

    radius_px: tuple[float, float] = (1.8, 2.65)
    hu: tuple[float, float] = (-300.0, 60.0)
    partial_volume: tuple[float, float] = (0.8, 1.0)
    near_vessel: float = 0.5
    vessels: tuple[int, int] = (6, 30)
    vessel_radius_px: tuple[float, float] = (0.3, 0.7)


#: The smaller, fainter nodules of notebook 09's full mode (fast mode keeps the defaults). With
#: 2,000 slices and augmentation the network found the default 20–30 mm nodules almost perfectly
#: (test AUC 0.99), too easy a task to compare it with a baseline. These are 18–27 mm across
#: (radius 1.6–2.4 px) instead of 20–30 mm, and fill 70–100 % of the slice thickness instead of
#: 80–100 %, so partial volume fades them more: down to 0.7 × (−300 − (−820)) ≈ 360 HU over the lung
#: instead of 420 HU. Chosen on validation data only: with them (and 20 epochs) the notebook's CNN
#: reached a validation AUC of 0.98 and 0.94 for seeds 0 and 1, the histogram baseline 0.80.
SMALL_NODULES = LesionParams(radius_px=(1.6, 2.4), partial_volume=(0.7, 1.0))


@dataclass
class Phantom:
    """A ground-truth slice: HU image, nodule mask and the nodule's radius (px), own HU and the
    share of the slice thickness it fills (NaN if none)."""

    hu: np.ndarray
    mask: np.ndarray
    nodule_radius: float = float("nan")
    nodule_hu: float = float("nan")
    partial_volume: float = float("nan")


def _ellipse(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, ry: float, rx: float,
             angle: float = 0.0) -> np.ndarray:
    """Boolean mask of a rotated ellipse on a grid of normalised coordinates."""
    c, s = np.cos(angle), np.sin(angle)
    dy, dx = yy - cy, xx - cx
    u, v = dx * c + dy * s, -dx * s + dy * c
    return (u / rx) ** 2 + (v / ry) ** 2 <= 1.0


def _downsample(image: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return image
    n = image.shape[0] // factor
    return image.reshape(n, factor, n, factor).mean(axis=(1, 3))


def _sample_inside(rng: np.random.Generator, region: np.ndarray, yy: np.ndarray, xx: np.ndarray,
                   n: int) -> list[tuple[float, float]]:
    rows, cols = np.nonzero(region)
    if len(rows) == 0:
        return []
    pick = rng.integers(0, len(rows), size=n)
    return [(float(yy[rows[i], cols[i]]), float(xx[rows[i], cols[i]])) for i in pick]


def chest_phantom(rng: np.random.Generator, size: int = 64, nodule: bool = False,
                  supersample: int = 2, lesions: LesionParams = LesionParams()) -> Phantom:
    """Draw one random chest-like slice in HU (anterior at the top, patient's right on the left).

    Coordinates are normalised to [-1, 1]; the body stays inside the unit circle, which the
    parallel-beam ``radon(circle=True)`` requires. Lung vessels (up to 1 px radius) are the
    look-alikes that make nodule detection non-trivial; nodules follow ``lesions``: 1.8–2.65 px
    long semi-axis (about 20–30 mm across at 5.6 mm pixels), −300 to +60 HU (part-solid to
    solid), filling 80–100 % of the slice thickness, and half of them touch a vessel.

    >>> ph = chest_phantom(np.random.default_rng(1), nodule=False)
    >>> bool(ph.mask.any()), float(ph.hu.min())
    (False, -1000.0)
    """
    n = size * supersample
    coords = (np.arange(n) + 0.5) / n * 2 - 1
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    img = np.full((n, n), HU["air"])
    u = rng.uniform

    # body: subcutaneous fat around muscle / soft tissue
    a, b = u(0.80, 0.90), u(0.58, 0.68)
    img[_ellipse(yy, xx, 0.0, 0.0, b, a)] = HU["fat"] + u(-20, 20)
    inner = _ellipse(yy, xx, 0.0, 0.0, b - u(0.05, 0.08), a - u(0.05, 0.08))
    img[inner] = HU["soft_tissue"] + u(-15, 15)

    # lungs
    lungs = np.zeros_like(inner)
    for side in (-1, 1):
        lung = _ellipse(yy, xx, u(-0.06, 0.02) * b, side * u(0.43, 0.49) * a, u(0.68, 0.76) * b,
                        u(0.28, 0.33) * a, angle=side * u(0.0, 0.2))
        img[lung] = HU["lung"] + u(-40, 40)
        lungs |= lung

    # ribs in the chest wall (never inside a lung), sternum at the front
    for t in rng.uniform(0, 2 * np.pi, size=rng.integers(6, 11)):
        if abs(np.sin(t)) > 0.97:  # keep the very front/back for sternum and spine
            continue
        ry = u(0.025, 0.04)
        rib = _ellipse(yy, xx, 0.9 * b * np.sin(t), 0.9 * a * np.cos(t), ry, ry * u(1.0, 1.8), angle=t)
        img[rib & ~lungs] = HU["bone"]
    img[_ellipse(yy, xx, -0.86 * b, 0.0, 0.05, 0.09)] = HU["bone"]

    # mediastinum: heart and aorta cut into the lungs; spine at the back
    heart = _ellipse(yy, xx, u(0.0, 0.12) * b, u(0.02, 0.12) * a, u(0.32, 0.42) * b,
                     u(0.18, 0.24) * a, angle=u(-0.4, -0.1))
    aorta = _ellipse(yy, xx, 0.42 * b, -0.12 * a, 0.07, 0.07)
    img[heart | aorta] = HU["blood"] + u(-10, 10)
    lungs &= ~(heart | aorta)
    spine = _ellipse(yy, xx, 0.74 * b, 0.0, 0.11, 0.11)
    img[spine] = HU["bone"] + u(-100, 100)
    img[_ellipse(yy, xx, 0.74 * b, 0.0, 0.07, 0.07)] = HU["spongy_bone"] + u(-50, 50)
    img[_ellipse(yy, xx, 0.74 * b + 0.15, 0.0, 0.07, 0.025)] = HU["bone"]
    lungs &= ~spine

    # lung vessels: small, often elongated, soft-tissue density
    px = 2.0 / size  # one output pixel in normalised units
    lung_hu = float(np.median(img[lungs]))
    away = lungs & ~_ellipse(yy, xx, 0.0, 0.0, 2.0, 0.06)
    vessels = _sample_inside(rng, away, yy, xx, int(rng.integers(*lesions.vessels, endpoint=True)))
    vessel_r = []
    for cy, cx in vessels:
        r = u(*lesions.vessel_radius_px) * px
        vessel_r.append(r)
        img[_ellipse(yy, xx, cy, cx, r, r * u(1.0, 2.5), angle=u(0, np.pi)) & lungs] = \
            HU["blood"] + u(-30, 30)

    mask = np.zeros((n, n), dtype=bool)
    radius = nodule_hu = fill = float("nan")
    if nodule:
        radius, nodule_hu = u(*lesions.radius_px), u(*lesions.hu)
        fill = u(*lesions.partial_volume)
        r = radius * px
        core = lungs & ~_grow(~lungs, r, yy, xx)
        core = core if core.any() else lungs
        cy = cx = None
        if vessels and rng.random() < lesions.near_vessel:
            k = int(rng.integers(len(vessels)))
            t = u(0, 2 * np.pi)
            d = (r + vessel_r[k]) * u(0.7, 1.1)          # touching the vessel
            ty, tx = vessels[k][0] + d * np.sin(t), vessels[k][1] + d * np.cos(t)
            i, j = int((ty + 1) / 2 * n), int((tx + 1) / 2 * n)
            if 0 <= i < n and 0 <= j < n and core[i, j]:
                cy, cx = ty, tx
        if cy is None:
            cy, cx = _sample_inside(rng, core, yy, xx, 1)[0]
        blob = _ellipse(yy, xx, cy, cx, r / u(1.0, 1.3), r, angle=u(0, np.pi))   # long axis 2r
        # partial volume across the slice thickness: the voxel averages nodule and lung
        img[blob] = lung_hu + fill * (nodule_hu - lung_hu)
        mask = blob

    hu = _downsample(img, supersample)
    small_mask = _downsample(mask.astype(float), supersample) >= 0.5
    if nodule and not small_mask.any():      # a nodule under half a pixel: mark its centre pixel
        m = _downsample(mask.astype(float), supersample)
        small_mask = m >= m.max()
    return Phantom(hu=hu, mask=small_mask, nodule_radius=radius, nodule_hu=nodule_hu,
                   partial_volume=fill)


def _grow(region: np.ndarray, r: float, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Dilate a mask by about ``r`` (normalised units) — used to keep nodules off the lung border."""
    from scipy import ndimage

    step = yy[1, 0] - yy[0, 0]
    k = max(1, int(np.ceil(r / step)))
    disk = (np.arange(-k, k + 1)[:, None] ** 2 + np.arange(-k, k + 1)[None, :] ** 2) <= k * k
    return ndimage.binary_dilation(region, structure=disk)


def hu_to_mu(hu: np.ndarray) -> np.ndarray:
    """HU → linear attenuation (per mm): μ = μ_water · (1 + HU/1000); air is 0.

    >>> hu_to_mu(np.array([-1000.0, 0.0]))
    array([0.    , 0.0193])
    """
    return np.clip(MU_WATER * (1.0 + np.asarray(hu, dtype=float) / 1000.0), 0.0, None)


def mu_to_hu(mu: np.ndarray) -> np.ndarray:
    """Linear attenuation (per mm) → HU, the inverse of :func:`hu_to_mu`."""
    return 1000.0 * (np.asarray(mu) / MU_WATER - 1.0)


def angles(params: ScanParams) -> np.ndarray:
    """The projection angles in degrees, evenly over [0°, 180°)."""
    return np.linspace(0.0, 180.0, params.n_angles, endpoint=False)


def project(hu: np.ndarray, params: ScanParams = ScanParams()) -> np.ndarray:
    """Noise-free sinogram of line integrals ∫μ dl (dimensionless): detectors × angles."""
    from skimage.transform import radon

    return radon(hu_to_mu(hu) * params.pixel_mm, theta=angles(params), circle=True)


def add_photon_noise(sinogram: np.ndarray, rng: np.random.Generator,
                     params: ScanParams = ScanParams()) -> np.ndarray:
    """Turn line integrals into noisy measured ones: Poisson photon counts + electronic noise.

    ``photons · exp(−p)`` photons are expected at a reading with line integral ``p``. Few
    photons (behind bone, at low dose) mean a noisy logarithm: the origin of CT noise streaks.
    """
    expected = params.photons * np.exp(-sinogram)
    counts = rng.poisson(expected) + rng.normal(0.0, params.electronic_noise, size=expected.shape)
    return -np.log(np.clip(counts, 1.0, None) / params.photons)


def reconstruct(sinogram: np.ndarray, params: ScanParams = ScanParams()) -> np.ndarray:
    """Filtered back-projection (ramp filter) with ``skimage.transform.iradon``; returns HU."""
    from skimage.transform import iradon

    mu = iradon(sinogram, theta=angles(params), filter_name="ramp", circle=True,
                output_size=params.size) / params.pixel_mm
    return mu_to_hu(mu)


def simulate_slice(seed: int, index: int, *, nodule: bool | None = None, prevalence: float = 0.3,
                   params: ScanParams = ScanParams(),
                   lesions: LesionParams = LesionParams()) -> dict[str, np.ndarray | float | int]:
    """Simulate slice ``index`` of data set ``seed``; returns every stage for teaching.

    Keys: ``label``, ``phantom`` (true HU), ``sinogram`` (clean), ``noisy_sinogram``,
    ``image`` (reconstructed HU, rounded), ``mask`` (nodule pixels), ``nodule_radius``,
    ``nodule_hu``, ``partial_volume``. With ``nodule=None`` the label is drawn with
    probability ``prevalence``.

    >>> s = simulate_slice(0, 3)
    >>> s["image"].shape, s["sinogram"].shape
    ((64, 64), (64, 48))
    """
    rng = np.random.default_rng([seed, index])
    label = bool(rng.random() < prevalence) if nodule is None else bool(nodule)
    ph = chest_phantom(rng, size=params.size, nodule=label, supersample=params.supersample,
                       lesions=lesions)
    clean = project(ph.hu, params)
    noisy = add_photon_noise(clean, rng, params)
    image = np.rint(reconstruct(noisy, params))
    return {"label": int(label), "phantom": ph.hu, "sinogram": clean, "noisy_sinogram": noisy,
            "image": image, "mask": ph.mask, "nodule_radius": ph.nodule_radius,
            "nodule_hu": ph.nodule_hu, "partial_volume": ph.partial_volume}


@dataclass
class CTData:
    """A simulated CT data set: ``images`` (float32 N×H×W, HU), ``labels`` (int64, 1 = nodule),
    ``masks`` (bool N×H×W), ``nodule_radius``/``nodule_hu``/``partial_volume`` (NaN without a
    nodule) and ``sinograms`` (float32 N×detectors×angles, the noise-free line integrals, so a
    slice can be re-scanned at another dose with :func:`rescan`)."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    nodule_radius: np.ndarray
    nodule_hu: np.ndarray
    params: ScanParams = field(default_factory=ScanParams)
    seed: int = 0
    sinograms: np.ndarray | None = None
    partial_volume: np.ndarray | None = None
    lesions: LesionParams = field(default_factory=LesionParams)

    def __len__(self) -> int:
        return len(self.labels)

    def split(self, val: float = 0.15, test: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stratified train/val/test indices (seeded by the data set's seed).

        Every slice here comes from its own simulated patient, so splitting slices is splitting
        patients. With real scans, split by *patient* (all slices of one person on one side).
        """
        from .data import split_indices

        return split_indices(self.labels, seed=self.seed, val=val, test=test)


#: The functions and tables whose code makes a slice: their source is part of the cache key,
#: so editing the simulation can never reuse stale cached slices.
_SIMULATION_CODE = ("_ellipse", "_downsample", "_sample_inside", "chest_phantom", "_grow", "hu_to_mu",
                    "mu_to_hu", "angles", "project", "add_photon_noise", "reconstruct", "simulate_slice",
                    "simulate_ct_dataset", "_cache_path")


def simulation_fingerprint() -> str:
    """A hash of the simulation's source code, constants and scikit-image version.

    >>> len(simulation_fingerprint())
    16
    """
    import skimage

    parts = [inspect.getsource(globals()[name]) for name in _SIMULATION_CODE]
    parts += [json.dumps(HU, sort_keys=True), repr(MU_WATER), skimage.__version__, str(_CACHE_FORMAT)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


#: Bump when the cache file's layout changes (the code hash covers the simulation itself).
_CACHE_FORMAT = 4


def _cache_path(n: int, seed: int, prevalence: float, params: ScanParams,
                lesions: LesionParams = LesionParams()) -> Path:
    key = json.dumps({"n": n, "seed": seed, "prevalence": prevalence, "params": asdict(params),
                      "lesions": asdict(lesions), "code": simulation_fingerprint()}, sort_keys=True)
    return cache_dir() / f"ct_sim_{n}_{seed}_{hashlib.sha256(key.encode()).hexdigest()[:10]}.npz"


def simulate_ct_dataset(n: int = 1000, seed: int = 0, *, prevalence: float = 0.3,
                        params: ScanParams = ScanParams(), lesions: LesionParams = LesionParams(),
                        cache: bool = True, progress: bool = True) -> CTData:
    """Simulate (or load from the cache) ``n`` slices; about a ``prevalence`` share has a nodule.

    The result is cached as ``cache_dir()/ct_sim_<n>_<seed>_<hash>.npz`` (``np.savez``); the
    hash covers every setting *and the simulation's source code* (:func:`simulation_fingerprint`),
    so changing either simulates afresh.

    >>> data = simulate_ct_dataset(4, seed=0, cache=False, progress=False)
    >>> data.images.shape, data.images.dtype, data.sinograms.shape
    ((4, 64, 64), dtype('float32'), (4, 64, 48))
    """
    path = _cache_path(n, seed, prevalence, params, lesions)
    if cache and path.exists():
        try:
            with np.load(path) as z:
                return CTData(z["images"].astype(np.float32), z["labels"].astype(np.int64),
                              z["masks"], z["nodule_radius"], z["nodule_hu"], params, seed,
                              sinograms=z["sinograms"], partial_volume=z["partial_volume"],
                              lesions=lesions)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            warnings.warn(f"The CT cache {path} is damaged ({type(err).__name__}: {err}); simulating the "
                          "slices again and replacing it.", stacklevel=2)
    from tqdm.auto import tqdm

    images = np.empty((n, params.size, params.size), dtype=np.int16)
    masks = np.empty((n, params.size, params.size), dtype=bool)
    labels = np.empty(n, dtype=np.int64)
    sinograms = None
    radius, nod_hu, fill = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i in tqdm(range(n), desc="simulating CT slices", disable=not progress, leave=False):
        s = simulate_slice(seed, i, prevalence=prevalence, params=params, lesions=lesions)
        if sinograms is None:
            sinograms = np.empty((n, *s["sinogram"].shape), dtype=np.float32)
        images[i] = np.clip(s["image"], -1024, 3071)  # the 12-bit HU range scanners store
        masks[i], labels[i], sinograms[i] = s["mask"], s["label"], s["sinogram"]
        radius[i], nod_hu[i], fill[i] = s["nodule_radius"], s["nodule_hu"], s["partial_volume"]
    if cache:  # atomic: a unique temporary file, then rename (two kernels may build it at once)
        with atomic_open(path, "wb") as fh:
            np.savez(fh, images=images, labels=labels, masks=masks, nodule_radius=radius,
                     nodule_hu=nod_hu, sinograms=sinograms, partial_volume=fill)
    return CTData(images.astype(np.float32), labels, masks, radius, nod_hu, params, seed,
                  sinograms=sinograms, partial_volume=fill, lesions=lesions)


def rescan(data: CTData, indices, photons: float | np.ndarray, seed: int = 0) -> np.ndarray:
    """Re-scan slices ``indices`` at another dose: new photon noise on their noise-free sinograms
    (:func:`add_photon_noise`, Poisson counts), filtered back-projection, whole HU; float32 N×H×W.

    This is how dose is simulated — noise enters in the *projections* and FBP shapes it into
    CT's streaky, correlated texture; Gaussian noise added to the image is not dose.
    ``photons`` is one count for all slices or one per slice.

    >>> data = simulate_ct_dataset(2, seed=0, cache=False, progress=False)
    >>> rescan(data, [0, 1], photons=5e3).shape
    (2, 64, 64)
    """
    if data.sinograms is None:
        raise ValueError("this CTData has no sinograms; simulate it with simulate_ct_dataset")
    indices = np.asarray(indices)
    photons = np.broadcast_to(np.asarray(photons, dtype=float), indices.shape)
    out = np.empty((len(indices), data.params.size, data.params.size), dtype=np.float32)
    for k, (i, dose) in enumerate(zip(indices, photons)):
        rng = np.random.default_rng([seed, int(i)])
        p = replace(data.params, photons=float(dose))
        noisy = add_photon_noise(data.sinograms[i].astype(float), rng, p)
        out[k] = np.clip(np.rint(reconstruct(noisy, p)), -1024, 3071)
    return out


def lung_field(image: np.ndarray, threshold: float = -400.0) -> np.ndarray:
    """The lung fields of a reconstructed slice (HU), as a boolean mask.

    Pixels below ``threshold`` HU inside the body — the convex hull of the pixels at or above
    it, shrunk by one pixel to drop the partial-volume skin line — with holes filled, so vessels
    and nodules inside the lungs belong to the field. (The hull, not "not connected to the outside
    air": a lung that touches the skin line would leak into the air.) The classic first step of a
    lung CAD pipeline, computed from the image alone.

    >>> img = np.full((16, 16), -1000.0); img[1:15, 1:15] = 40.0; img[3:13, 3:13] = -800.0
    >>> img[7, 7] = 0.0                # a nodule inside the lung belongs to the field
    >>> int(lung_field(img).sum())
    100
    """
    from scipy import ndimage
    from skimage.morphology import convex_hull_image

    image = np.asarray(image)
    body = convex_hull_image(image >= threshold)
    body = ndimage.binary_erosion(body, structure=np.ones((3, 3), dtype=bool))
    return ndimage.binary_fill_holes((image < threshold) & body)


#: Bin edges (HU) of :func:`hu_histograms`: fine where lung, ground-glass and solid tissue differ.
HISTOGRAM_EDGES = np.array([-1100, -900, -800, -700, -600, -500, -400, -300, -200, -100, 0, 100, 300])


def hu_histograms(images: np.ndarray, edges: np.ndarray = HISTOGRAM_EDGES) -> np.ndarray:
    """Per slice, the pixel counts of its lung field (:func:`lung_field`) in HU bins: N × bins.

    The feature a skeptic tries before a CNN: a nodule adds a few pixels of ground-glass or
    solid density to the lung; so do vessels, which is why it is not enough.

    >>> hu_histograms(np.full((2, 8, 8), -1000.0)).shape
    (2, 12)
    """
    feats = np.zeros((len(images), len(edges) - 1), dtype=np.float32)
    for k, img in enumerate(images):
        feats[k] = np.histogram(img[lung_field(img)], bins=edges)[0]
    return feats
