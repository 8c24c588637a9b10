"""One input contract for every face transformer: uint8 in 0..255, or floats in [0, 1]."""

import numpy as np
import pytest

from fer_classic.features import HOG, LBP, BagOfVisualWords, DenseSIFT, FisherVector, Pixels


def _faces(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48)).astype(np.uint8)


TRANSFORMERS = {
    "Pixels": lambda: Pixels(),
    "Pixels-equalize": lambda: Pixels(equalize=True, standardize=True),
    "HOG": lambda: HOG(),
    "LBP": lambda: LBP(),
    "DenseSIFT": lambda: DenseSIFT(step=8),
    "BagOfVisualWords": lambda: BagOfVisualWords(extractor=DenseSIFT(step=8), n_words=4,
                                                 n_samples=200, n_init=1, random_state=0),
    "FisherVector": lambda: FisherVector(DenseSIFT(step=8), n_components=2, pca_components=4,
                                         n_samples=200, random_state=0),
}


@pytest.mark.parametrize("name", list(TRANSFORMERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floats_in_0_1_are_the_same_faces_as_uint8(name, dtype):
    faces = _faces()
    scaled = faces.astype(dtype) / dtype(255)
    ref = TRANSFORMERS[name]().fit(faces).transform(faces)
    got = TRANSFORMERS[name]().fit(scaled).transform(scaled)
    # the same intensities up to the rounding of x / 255 * 255
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(ref, np.float64),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(TRANSFORMERS))
@pytest.mark.parametrize("values, match", [
    (lambda f: f.astype(np.float32), "divide by 255"),    # 0..255 as floats
    (lambda f: f / 127.5, r"\[0, 1\]"),                  # [0, 2]
    (lambda f: f / 127.5 - 1, r"\[0, 1\]"),              # [-1, 1]
])
def test_floats_outside_0_1_are_refused(name, values, match):
    faces = _faces()
    est = TRANSFORMERS[name]().fit(faces)
    with pytest.raises(ValueError, match=match):
        est.transform(values(faces))
    with pytest.raises(ValueError, match=match):
        TRANSFORMERS[name]().fit(values(faces))
