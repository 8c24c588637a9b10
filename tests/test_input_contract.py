"""One input contract for every face transformer: uint8 in 0..255, or floats in [0, 1].

Floats are read times 255. The transformers whose features do not depend on
the intensity scale (HOG, LBP, dense SIFT without a contrast threshold and
its encoders, standardised pixels) accept floats of any finite value by the
same rule; so do pixels, which keep floats on their scale, and histogram
equalisation, which depends only on the order of a face's levels. Dense SIFT
with a contrast threshold refuses floats outside [0, 1] with an error that
names the range.
"""

import numpy as np
import pytest

from fer_classic.features import (
    HOG,
    LBP,
    BagOfVisualWords,
    DenseSIFT,
    FisherVector,
    HistogramEqualization,
    Pixels,
)
from fer_classic.features._face import scale_intensities
from fer_classic.utils.validation import FLOAT_TOLERANCE, intensities_255


def _faces(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48)).astype(np.uint8)


TRANSFORMERS = {
    "Pixels": lambda: Pixels(),
    "Pixels-equalize": lambda: Pixels(equalize=True, standardize=True),
    "Pixels-standardize": lambda: Pixels(standardize=True),
    "HistogramEqualization": lambda: HistogramEqualization(),
    "HOG": lambda: HOG(),
    "HOG-sqrt": lambda: HOG(transform_sqrt=True, block_norm="L1"),
    "LBP": lambda: LBP(),
    "DenseSIFT": lambda: DenseSIFT(step=8),
    "DenseSIFT-threshold": lambda: DenseSIFT(step=8, contrast_threshold=0.5),
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


#: their features depend on the intensity scale: floats outside [0, 1] are refused
SCALED = ["DenseSIFT-threshold"]
#: floats are kept on their scale (pixels) or equalised by the order of their levels
KEPT = ["Pixels", "Pixels-equalize", "HistogramEqualization"]
SCALE_FREE = [name for name in TRANSFORMERS if name not in SCALED + KEPT]


@pytest.mark.parametrize("name", SCALED)
@pytest.mark.parametrize("values, match", [
    (lambda f: f.astype(np.float32), "divide by 255"),    # 0..255 as floats
    (lambda f: f / 127.5, r"\[0, 1\]"),                  # [0, 2]
    (lambda f: f / 127.5 - 1, r"\[0, 1\]"),              # [-1, 1]
])
def test_floats_outside_0_1_are_refused_where_the_scale_matters(name, values, match):
    faces = _faces()
    est = TRANSFORMERS[name]().fit(faces)
    with pytest.raises(ValueError, match=match):
        est.transform(values(faces))
    with pytest.raises(ValueError, match=match):
        TRANSFORMERS[name]().fit(values(faces))


@pytest.mark.parametrize("name", KEPT)
@pytest.mark.parametrize("values", [
    lambda f: f.astype(np.float32),    # 0..255 as floats
    lambda f: f / 127.5,               # [0, 2]
    lambda f: f / 127.5 - 1,           # [-1, 1]
], ids=["0-255", "0-2", "minus1-1"])
def test_floats_outside_0_1_are_kept_on_their_scale(name, values):
    faces = _faces()
    X = values(faces)
    est = TRANSFORMERS[name]().fit(X)
    got = est.transform(X)
    if name == "Pixels":  # the floats as given
        np.testing.assert_allclose(got, X.reshape(len(X), -1), rtol=1e-6, atol=1e-6)
    else:  # the levels of the faces in order: the uint8 faces' output
        np.testing.assert_array_equal(got, TRANSFORMERS[name]().fit(faces).transform(faces))


@pytest.mark.parametrize("name", SCALE_FREE)
@pytest.mark.parametrize("values, offset", [
    (lambda f: f.astype(np.float32), False),    # 0..255 as floats
    (lambda f: f / 127.5, False),               # [0, 2]
    (lambda f: f / 127.5 - 1, True),            # [-1, 1]
    (lambda f: f / 255.0 * 1e-3 + 7.0, True),   # another offset and a small range
], ids=["0-255", "0-2", "minus1-1", "offset"])
def test_floats_of_any_scale_give_the_features_of_the_faces(name, values, offset):
    faces = _faces()
    if name == "HOG-sqrt":  # the square root of the pixels: no negative ones
        faces = np.maximum(faces, 1)
        if values(faces).min() < 0:
            with pytest.raises(ValueError, match="transform_sqrt"):
                TRANSFORMERS[name]().fit(faces).transform(values(faces))
            return
    est = TRANSFORMERS[name]().fit(faces)
    ref = np.asarray(est.transform(faces), np.float64)
    got = np.asarray(est.transform(values(faces)), np.float64)
    refit = TRANSFORMERS[name]().fit(values(faces))
    assert refit.transform(faces).shape == ref.shape
    if name == "HOG-sqrt" and offset:  # sqrt(a + b x) is not a multiple of sqrt(x)
        assert got.shape == ref.shape and np.isfinite(got).all()
    elif not offset:
        # the same features up to rounding (HOG's block epsilon, float32 sums)
        np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-4)
    else:
        # an offset moves the rounding of interpolated values (LBP codes of ties
        # between a neighbour and the centre: scikit-image's too) and float32 has
        # fewer significant bits left for a small range far from 0
        assert np.abs(got - ref).mean() < 0.01
        assert np.corrcoef(got.ravel(), ref.ravel())[0, 1] > 0.98


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floats_in_0_1_are_scaled_exactly_as_before(dtype):
    """Floats the contract accepted (within its tolerance) map to 0..255 bit for bit."""
    rng = np.random.default_rng(0)
    x = rng.random((4, 6, 6)).astype(dtype)
    x[0, 0, :4] = [0, 1, -FLOAT_TOLERANCE / 2, 1 + FLOAT_TOLERANCE / 2]
    if np.nextafter(dtype(1), dtype(2)) <= 1 + FLOAT_TOLERANCE:
        x[1, 0, 0] = np.nextafter(dtype(1), dtype(2))
    assert np.array_equal(scale_intensities(x), intensities_255(x))
    assert scale_intensities(x).dtype == intensities_255(x).dtype
    # further out, the values keep their scale (times 255); the near ones still clip
    x[2, 0, 0] = 3
    out = scale_intensities(x)
    assert out[2, 0, 0] == 3 * 255 and out[0, 0, 2] == 0 and out[0, 0, 3] == 255
