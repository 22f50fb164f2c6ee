"""A physically simulated chest-CT data set (notebook 09): slices with and without lung nodules.

Each slice is made the way a scanner makes one, only much smaller:

1. a chest-like **phantom** in Hounsfield units (HU): air, body with a fat layer, two lung
   fields, heart, aorta, spine, sternum, ribs, lung vessels and, for positive slices, a
   nodule of random size and density — drawn on a 2× finer grid and averaged down, so small
   structures suffer partial-volume blur like real voxels;
2. HU → linear attenuation μ and a **sinogram** of line integrals with ``skimage.transform.radon``;
3. **photon noise**: ``I0·exp(−∫μ)`` photons reach each detector, we draw Poisson counts
   plus a little Gaussian electronic noise and take the log again;
4. **filtered back-projection** with ``skimage.transform.iradon`` (ramp filter) and back to
   HU, rounded to whole HU and stored as 16-bit integers, as scanners store them.

So the images carry real CT artefacts (noise texture, streaks from the few views, blur) but
the truth (label and nodule mask) is known exactly. Everything is deterministic by seed:
slice ``i`` of data set ``seed`` depends only on ``(seed, i)``.

>>> ph = chest_phantom(np.random.default_rng(0), size=64, nodule=True)
>>> ph.hu.shape, bool(ph.mask.any())
((64, 64), True)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .config import cache_dir

#: Approximate HU of the tissues in the phantom.
HU = {"air": -1000.0, "lung": -820.0, "fat": -100.0, "soft_tissue": 40.0, "blood": 40.0,
      "bone": 700.0, "marrow": 250.0}

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


@dataclass
class Phantom:
    """A ground-truth slice: HU image, nodule mask and the nodule's radius (px) and HU (NaN if none)."""

    hu: np.ndarray
    mask: np.ndarray
    nodule_radius: float = float("nan")
    nodule_hu: float = float("nan")


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
                  supersample: int = 2) -> Phantom:
    """Draw one random chest-like slice in HU (anterior at the top, patient's right on the left).

    Coordinates are normalised to [-1, 1]; the body stays inside the unit circle, which the
    parallel-beam ``radon(circle=True)`` requires. Lung vessels (under 1 px radius) are the
    look-alikes that make nodule detection non-trivial; nodules are 1.8–4 px in radius
    (about 20–45 mm across at 5.6 mm pixels) and −300 to +60 HU (part-solid to solid).

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
    img[_ellipse(yy, xx, 0.74 * b, 0.0, 0.07, 0.07)] = HU["marrow"] + u(-50, 50)
    img[_ellipse(yy, xx, 0.74 * b + 0.15, 0.0, 0.07, 0.025)] = HU["bone"]
    lungs &= ~spine

    # lung vessels: small, often elongated, soft-tissue density
    px = 2.0 / size  # one output pixel in normalised units
    away = lungs & ~_ellipse(yy, xx, 0.0, 0.0, 2.0, 0.06)
    for cy, cx in _sample_inside(rng, away, yy, xx, int(rng.integers(8, 18))):
        r = u(0.3, 0.7) * px
        img[_ellipse(yy, xx, cy, cx, r, r * u(1.0, 2.5), angle=u(0, np.pi)) & lungs] = \
            HU["blood"] + u(-30, 30)

    mask = np.zeros((n, n), dtype=bool)
    radius = nodule_hu = float("nan")
    if nodule:
        radius, nodule_hu = u(1.8, 4.0), u(-300.0, 60.0)
        r = radius * px
        core = lungs & ~_grow(~lungs, r, yy, xx)
        centres = _sample_inside(rng, core if core.any() else lungs, yy, xx, 1)
        cy, cx = centres[0]
        blob = _ellipse(yy, xx, cy, cx, r, r * u(1.0, 1.3), angle=u(0, np.pi))
        img[blob] = nodule_hu
        mask = blob

    hu = _downsample(img, supersample)
    small_mask = _downsample(mask.astype(float), supersample) >= 0.5
    return Phantom(hu=hu, mask=small_mask, nodule_radius=radius, nodule_hu=nodule_hu)


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
                   params: ScanParams = ScanParams()) -> dict[str, np.ndarray | float | int]:
    """Simulate slice ``index`` of data set ``seed``; returns every stage for teaching.

    Keys: ``label``, ``phantom`` (true HU), ``sinogram`` (clean), ``noisy_sinogram``,
    ``image`` (reconstructed HU, rounded), ``mask`` (nodule pixels), ``nodule_radius``,
    ``nodule_hu``. With ``nodule=None`` the label is drawn with probability ``prevalence``.

    >>> s = simulate_slice(0, 3)
    >>> s["image"].shape, s["sinogram"].shape
    ((64, 64), (64, 48))
    """
    rng = np.random.default_rng([seed, index])
    label = bool(rng.random() < prevalence) if nodule is None else bool(nodule)
    ph = chest_phantom(rng, size=params.size, nodule=label, supersample=params.supersample)
    clean = project(ph.hu, params)
    noisy = add_photon_noise(clean, rng, params)
    image = np.rint(reconstruct(noisy, params))
    return {"label": int(label), "phantom": ph.hu, "sinogram": clean, "noisy_sinogram": noisy,
            "image": image, "mask": ph.mask, "nodule_radius": ph.nodule_radius,
            "nodule_hu": ph.nodule_hu}


@dataclass
class CTData:
    """A simulated CT data set: ``images`` (float32 N×H×W, HU), ``labels`` (int64, 1 = nodule),
    ``masks`` (bool N×H×W), ``nodule_radius``/``nodule_hu`` (NaN without a nodule)."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    nodule_radius: np.ndarray
    nodule_hu: np.ndarray
    params: ScanParams = field(default_factory=ScanParams)
    seed: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def split(self, val: float = 0.15, test: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stratified train/val/test indices (seeded by the data set's seed)."""
        from .data import split_indices

        return split_indices(self.labels, seed=self.seed, val=val, test=test)


def _cache_path(n: int, seed: int, prevalence: float, params: ScanParams) -> Path:
    key = json.dumps({"n": n, "seed": seed, "prevalence": prevalence, "v": 3, **asdict(params)},
                     sort_keys=True)
    return cache_dir() / f"ct_sim_{n}_{seed}_{hashlib.sha256(key.encode()).hexdigest()[:10]}.npz"


def simulate_ct_dataset(n: int = 1000, seed: int = 0, *, prevalence: float = 0.3,
                        params: ScanParams = ScanParams(), cache: bool = True,
                        progress: bool = True) -> CTData:
    """Simulate (or load from the cache) ``n`` slices; about a ``prevalence`` share has a nodule.

    The result is cached as ``cache_dir()/ct_sim_<n>_<seed>_<hash>.npz`` (``np.savez``); the
    hash covers every setting, so changing one simulates afresh.

    >>> data = simulate_ct_dataset(4, seed=0, cache=False, progress=False)
    >>> data.images.shape, data.images.dtype
    ((4, 64, 64), dtype('float32'))
    """
    path = _cache_path(n, seed, prevalence, params)
    if cache and path.exists():
        with np.load(path) as z:
            return CTData(z["images"].astype(np.float32), z["labels"].astype(np.int64),
                          z["masks"], z["nodule_radius"], z["nodule_hu"], params, seed)
    from tqdm.auto import tqdm

    images = np.empty((n, params.size, params.size), dtype=np.int16)
    masks = np.empty((n, params.size, params.size), dtype=bool)
    labels = np.empty(n, dtype=np.int64)
    radius, nod_hu = np.full(n, np.nan), np.full(n, np.nan)
    for i in tqdm(range(n), desc="simulating CT slices", disable=not progress, leave=False):
        s = simulate_slice(seed, i, prevalence=prevalence, params=params)
        images[i] = np.clip(s["image"], -1024, 3071)  # the 12-bit HU range scanners store
        masks[i], labels[i] = s["mask"], s["label"]
        radius[i], nod_hu[i] = s["nodule_radius"], s["nodule_hu"]
    if cache:
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, labels=labels, masks=masks, nodule_radius=radius,
                 nodule_hu=nod_hu)
        tmp.replace(path)
    return CTData(images.astype(np.float32), labels, masks, radius, nod_hu, params, seed)
