"""The image splits of notebooks 08 (MNIST-5k) and 09 (simulated CT) share nothing under the key that matters.

08's key is an image's 8-bit grey levels; 09's is the phantom (its noise-free sinogram): the same patient
scanned again has other pixels, so only the phantom key sees it (the planted leak below).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import ct
from course_lib.data.sources import load_mnist5k
from course_lib.leakage import LeakError, split_overlap


def grey_levels(image):
    return (image * 255).round().to(torch.uint8).numpy().tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mnist5k_splits_share_no_image(seed):
    splits = load_mnist5k(seed=seed)
    images = {name: part.tensors[0] for name, part in zip(("train", "val", "test"), splits)}
    assert len({grey_levels(x) for part in images.values() for x in part}) == 5000  # no duplicate at all
    split_overlap(images, key=grey_levels).check()


def test_ct_splits_share_no_phantom_and_a_rescanned_patient_is_caught():
    data = ct.simulate_ct_dataset(40, seed=0, cache=False, progress=False)
    tr, va, te = data.split(val=0.15, test=0.25)
    by_phantom = {n: data.sinograms[i] for n, i in zip(("train", "val", "test"), (tr, va, te))}
    split_overlap(by_phantom, key=lambda a: a.tobytes()).check()
    # Plant a leak: a training patient scanned again (new photon noise) in the test split.
    again = ct.rescan(data, [tr[0]], photons=data.params.photons, seed=7)[0]
    pixels = {"train": data.images[tr], "test": np.concatenate([data.images[te], again[None]])}
    assert split_overlap(pixels, key=lambda a: a.tobytes()).total == 0      # other noise: other pixels
    leaked = {"train": by_phantom["train"],
              "test": np.concatenate([by_phantom["test"], data.sinograms[tr[:1]]])}
    with pytest.raises(LeakError, match="1 item"):
        split_overlap(leaked, key=lambda a: a.tobytes()).check()
