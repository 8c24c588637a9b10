"""Tests for fer_classic.features.sift (dense SIFT)."""

import cv2
import numpy as np
import pytest
from scipy import ndimage, sparse
from sklearn.exceptions import NotFittedError

from fer_classic.features import sift as sift_module
from fer_classic.features.sift import DenseSIFT, dense_sift, dense_sift_positions
from fer_classic.utils import jit
from face_estimator_checks import check_face_transformer, expected_failures

needs_numba = pytest.mark.skipif(not jit.have_numba(), reason="numba is not installed")
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]

# Matched descriptors of dense_sift(..., smoothing=1.52) and cv2.SIFT.compute
# on KeyPoint(col, row, size=bin_size / 1.5, angle=0): measured mean Pearson
# correlation 0.997 on real FER2013 faces and 0.993 on smoothed noise (min
# about 0.96). The residual comes from OpenCV's per-pixel (ours: per-bin)
# Gaussian window and its exclusion of the one-pixel image border.
OPENCV_MEAN_CORR = 0.98
OPENCV_MIN_CORR = 0.90


def _faces(n=6, seed=0, size=48):
    """Smooth random 'faces': blurred noise plus a few blobs, uint8."""
    rng = np.random.default_rng(seed)
    img = rng.normal(128, 60, size=(n, size, size))
    img = ndimage.gaussian_filter(img, sigma=(0, 1.5, 1.5))
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        for _ in range(3):
            cy, cx = rng.uniform(8, size - 8, 2)
            radius = rng.uniform(2, 6)
            img[i] += 80 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
    return np.clip(img, 0, 255).astype(np.uint8)


def test_default_grid_is_17_by_17_keypoints():
    desc, pos = dense_sift(_faces(2))
    assert desc.shape == (2, 289, 128) and desc.dtype == np.float32
    assert pos.shape == (289, 2)
    assert pos[0].tolist() == [8, 8] and pos[-1].tolist() == [40, 40]
    # row-major: column varies fastest
    assert pos[1].tolist() == [8, 10] and pos[17].tolist() == [10, 8]
    assert np.array_equal(pos, dense_sift_positions((48, 48)))


def test_grid_follows_step_and_bin_size():
    pos = dense_sift_positions((48, 48), step=4, bin_size=6)
    assert np.unique(pos[:, 0]).tolist() == list(range(12, 37, 4))
    desc, _ = dense_sift(_faces(1), step=4, bin_size=6)
    assert desc.shape == (1, 49, 128)


def test_multiscale_concatenates_scales_in_order():
    faces = _faces(3)
    d4, p4 = dense_sift(faces, bin_size=4)
    d6, p6 = dense_sift(faces, bin_size=6)
    d, p = dense_sift(faces, bin_size=[4, 6])
    assert np.array_equal(p, np.concatenate([p4, p6]))
    np.testing.assert_allclose(d, np.concatenate([d4, d6], axis=1), atol=1e-6)


def test_descriptors_are_unit_norm_nonnegative_and_clamped():
    desc, _ = dense_sift(_faces(4))
    assert desc.min() >= 0
    np.testing.assert_allclose(np.linalg.norm(desc, axis=2), 1.0, atol=1e-5)
    # the 0.2 clamp bounds the largest value relative to the smallest kept
    # maximum: no single bin can carry the whole descriptor
    assert desc.max() < 0.9


def test_flat_image_gives_zero_descriptors_without_nan():
    desc, _ = dense_sift(np.full((2, 48, 48), 100 / 255))
    assert np.isfinite(desc).all() and not desc.any()


def test_contrast_threshold_zeroes_weak_patches():
    rng = np.random.default_rng(0)
    faces = 100 + rng.normal(0, 0.01, size=(2, 48, 48))
    faces[:, :, 24:] += 50  # a strong vertical edge in the right half
    faces /= 255  # float faces hold intensities in [0, 1]; the threshold is in 0..255 units
    weak, _ = dense_sift(faces, smoothing=0)
    assert np.all(np.linalg.norm(weak, axis=2) > 0.99)  # noise gets normalised up
    desc, pos = dense_sift(faces, smoothing=0, contrast_threshold=1.0)
    dist = np.abs(pos[:, 1] - 23.5)  # the edge runs between columns 23 and 24
    assert np.all(np.linalg.norm(desc[:, dist < 8], axis=2) > 0.99)
    # the footprint reaches 10 pixels from the centre: beyond, only noise
    assert not desc[:, dist > 11].any()


def test_orientation_convention_matches_opencv():
    # intensity increasing to the right: gradient angle 0 -> orientation bin 0
    ramp = np.tile(np.arange(48.0) * 3, (48, 1))[None] / 255
    desc, _ = dense_sift(ramp, smoothing=0)
    per_ori = desc.reshape(-1, 16, 8).sum(axis=(0, 1))
    assert np.argmax(per_ori) == 0 and per_ori[0] > 0.95 * per_ori.sum()
    # intensity increasing upwards (towards row 0): 90 degrees -> bin 2
    desc, _ = dense_sift(ramp.transpose(0, 2, 1)[:, ::-1], smoothing=0)
    per_ori = desc.reshape(-1, 16, 8).sum(axis=(0, 1))
    assert np.argmax(per_ori) == 2 and per_ori[2] > 0.95 * per_ori.sum()


def test_spatial_layout_rows_then_columns():
    # a bright blob in the top-left quadrant of the central keypoint's footprint
    img = np.zeros((1, 48, 48))
    img[0, 17:20, 17:20] = 1.0
    desc, pos = dense_sift(img, smoothing=0, window_sigma=None)
    k = int(np.flatnonzero((pos[:, 0] == 24) & (pos[:, 1] == 24))[0])
    mass = desc[0, k].reshape(4, 4, 8).sum(axis=2)  # (row bin, col bin)
    assert np.unravel_index(np.argmax(mass), mass.shape) == (0, 0)
    assert mass[2:, :].sum() == 0 and mass[:, 2:].sum() == 0


def test_translation_by_one_step_shifts_the_grid():
    faces = _faces(2, size=60) / 255.0
    a, pos = dense_sift(faces[:, :48, :48])
    b, _ = dense_sift(faces[:, 2:50, :48])  # content moved up by one step
    ga = a.reshape(2, 17, 17, 128)
    gb = b.reshape(2, 17, 17, 128)
    # away from the image border the descriptors are identical
    np.testing.assert_allclose(gb[:, 3:12, 3:14], ga[:, 4:13, 3:14], atol=1e-5)


def test_chunking_and_threads_do_not_change_the_result():
    faces = _faces(7)
    ref, _ = dense_sift(faces, chunk_size=64)
    for kwargs in ({"chunk_size": 2}, {"chunk_size": 3, "n_jobs": 2}):
        got, _ = dense_sift(faces, **kwargs)
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multiscale_chunks_in_threads_equal_one_chunk(backend):
    # 'auto' smoothing blurs each scale differently, so every scale has its own maps
    faces = _faces(7)
    ref, _ = dense_sift(faces, bin_size=(4, 6, 8), chunk_size=64, backend=backend)
    got, _ = dense_sift(faces, bin_size=(4, 6, 8), chunk_size=2, n_jobs=2, backend=backend)
    np.testing.assert_array_equal(got, ref)


def test_uint8_output_is_scaled_and_saturated():
    faces = _faces(3)
    f, _ = dense_sift(faces)
    u, _ = dense_sift(faces, dtype="uint8")
    assert u.dtype == np.uint8
    np.testing.assert_array_equal(u, np.minimum(np.rint(f * 512), 255).astype(np.uint8))


def test_accepts_flat_rows_and_other_image_sizes():
    faces = _faces(2)
    a, _ = dense_sift(faces)
    b, _ = dense_sift(faces.reshape(2, -1))
    np.testing.assert_array_equal(a, b)
    c, pos = dense_sift(_faces(1, size=32))
    assert c.shape == (1, 81, 128) and pos.max() == 24


@pytest.mark.parametrize("kwargs, match", [
    ({"step": 0}, "step"),
    ({"bin_size": 0}, "bin_size"),
    ({"bin_size": []}, "bin_size"),
    ({"smoothing": -1.0}, "smoothing"),
    ({"smoothing": "big"}, "smoothing"),
    ({"window_sigma": 0}, "window_sigma"),
    ({"contrast_threshold": -1}, "contrast_threshold"),
    ({"dtype": "float64"}, "dtype"),
    ({"bin_size": 20}, "too small"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"backend": "cuda"}, "backend"),
])
def test_bad_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dense_sift(_faces(1), **kwargs)


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="shape"):
        dense_sift(np.zeros((2, 100)))
    with pytest.raises(TypeError, match="sparse"):
        dense_sift(sparse.csr_matrix(np.ones((2, 2304))))
    with pytest.raises(ValueError, match="NaN"):
        dense_sift(np.full((1, 48, 48), np.nan))
    with pytest.raises(ValueError, match="at least 2 x 2 pixels.*got 1 x 48"):
        dense_sift(np.zeros((1, 1, 48)), bin_size=1, n_bins_spatial=1)


def _opencv_correlations(faces, bin_size, backend="auto"):
    desc, pos = dense_sift(faces, bin_size=bin_size, smoothing=1.52, backend=backend)
    sift = cv2.SIFT_create()
    corrs = []
    for img, ours in zip(faces, desc):
        kps = [cv2.KeyPoint(float(c), float(r), bin_size / 1.5, 0) for r, c in pos]
        kps_out, theirs = sift.compute(img, kps)
        assert len(kps_out) == len(kps)
        for a, b in zip(ours, theirs):
            corrs.append(np.corrcoef(a, b)[0, 1])
    return np.array(corrs)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bin_size", [4, 6])
def test_matches_opencv_sift_on_the_same_keypoints(bin_size, backend):
    corrs = _opencv_correlations(_faces(4), bin_size, backend)
    assert corrs.mean() > OPENCV_MEAN_CORR
    assert corrs.min() > OPENCV_MIN_CORR


# ----------------------------------------------------------------- backends
def test_importing_fer_classic_does_not_import_numba():
    import subprocess
    import sys

    code = "import sys, fer_classic, fer_classic.features; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@needs_numba
@pytest.mark.parametrize("kwargs", [
    {},
    {"bin_size": (4, 6, 8), "smoothing": 1.0},
    {"step": 3, "bin_size": 5, "window_sigma": None},
    {"step": 4, "n_bins_spatial": 3, "n_orientations": 6, "contrast_threshold": 20.0},
    {"smoothing": 0},
])
def test_numba_and_numpy_backends_agree(kwargs):
    faces = _faces(5)
    a, pos_a = dense_sift(faces, backend="numpy", **kwargs)
    b, pos_b = dense_sift(faces, backend="numba", **kwargs)
    np.testing.assert_array_equal(pos_a, pos_b)
    np.testing.assert_allclose(a, b, atol=1e-5)
    ua, _ = dense_sift(faces, backend="numpy", dtype="uint8", **kwargs)
    ub, _ = dense_sift(faces, backend="numba", dtype="uint8", **kwargs)
    assert np.abs(ua.astype(int) - ub).max() <= 1


@needs_numba
def test_numba_orientation_maps_follow_exact_atan2_and_hypot():
    from fer_classic.features import _sift_kernels as kernels

    # every direction on a fine circle, several lengths, the axes and zero
    angle = np.linspace(-np.pi, np.pi, 200_001)
    radius = np.repeat([1e-3, 1.0, 300.0], len(angle))
    gx = np.concatenate([radius * np.cos(np.tile(angle, 3)), [0, 1, 0, -1, 0]])
    gy = np.concatenate([radius * np.sin(np.tile(angle, 3)), [0, 0, 1, 0, -1]])
    gx, gy = (v.astype(np.float32).reshape(1, 1, -1) for v in (gx, gy))
    maps = np.empty(gx.shape + (8,), dtype=np.float32)
    kernels.polar_scatter(gx, gy, maps)
    mag = np.hypot(gx, gy).astype(np.float64)
    np.testing.assert_allclose(maps.sum(axis=-1), mag, rtol=1e-6, atol=1e-30)
    # the two bins' shares, against those of the exact angle
    turns = np.mod(np.arctan2(gy, gx), 2 * np.pi) * 8 / (2 * np.pi)
    expected = np.zeros_like(maps, dtype=np.float64)
    o = np.floor(turns).astype(int) % 8
    share = (turns - np.floor(turns)) * mag
    np.put_along_axis(expected, o[..., None], (mag - share)[..., None], axis=-1)
    np.put_along_axis(expected, ((o + 1) % 8)[..., None], share[..., None], axis=-1)
    # an error of 1e-4 degree moves 1e-4 / 45 of the magnitude between bins
    assert np.all(np.abs(maps - expected) <= mag[..., None] * (1e-4 / 45 + 1e-6))


def test_numba_backend_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(jit, "have_numba", lambda: False)
    with pytest.raises(ValueError, match="numba package"):
        dense_sift(_faces(1), backend="numba")
    with pytest.raises(ValueError, match="numba package"):
        DenseSIFT(backend="numba").fit(_faces(1))
    got, _ = dense_sift(_faces(2), backend="auto")  # falls back to NumPy
    ref, _ = dense_sift(_faces(2), backend="numpy")
    np.testing.assert_array_equal(got, ref)


def _numba_blur(images, sigma):
    from fer_classic.features import _sift_kernels as kernels

    out = np.empty_like(images)
    kernels.blur(images, sift_module._gaussian_kernel(sigma), out)
    return out


@pytest.mark.parametrize("blur", [
    pytest.param(sift_module._blur, id="numpy"),
    pytest.param(_numba_blur, id="numba", marks=needs_numba),
])
def test_blur_is_ndimage_gaussian_and_keeps_flat_regions_flat(blur):
    images = _faces(3).astype(np.float32)
    sigmas = (0.67, 1.52, 20.0) if blur is sift_module._blur else (0.67, 1.52, 8.0)
    for sigma in sigmas:  # 20 is wider than the image: ndimage itself
        got = blur(images, sigma)
        ref = ndimage.gaussian_filter(images, sigma=(0, sigma, sigma), mode="mirror")
        np.testing.assert_allclose(got, ref, atol=1e-3)
    flat = np.full((2, 48, 48), 117.0, dtype=np.float32)
    out = blur(flat, 1.52)
    assert out.min() == out.max()  # bit-identical everywhere: zero gradient


@needs_numba
def test_numba_backend_falls_back_to_numpy_for_a_blur_wider_than_the_image():
    images = _faces(2)[:, :20, :20]
    a, _ = dense_sift(images, backend="numba", smoothing=6.0)
    b, _ = dense_sift(images, backend="numpy", smoothing=6.0)
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------- estimator
def test_dense_sift_transformer():
    faces = _faces(3)
    est = DenseSIFT(step=4)
    out = est.fit_transform(faces)
    assert est.n_keypoints_ == 81 and est.positions_.shape == (81, 2)
    assert est.image_shape_ == (48, 48) and est.n_features_in_ == 2304
    assert out.shape == (3, 81 * 128)
    ref, _ = dense_sift(faces, step=4)
    np.testing.assert_array_equal(out, ref.reshape(3, -1))
    np.testing.assert_array_equal(est.transform_descriptors(faces), ref)


def test_dense_sift_transformer_errors():
    with pytest.raises(NotFittedError):
        DenseSIFT().transform(_faces(1))
    est = DenseSIFT().fit(_faces(1))
    with pytest.raises(ValueError, match="shape"):
        est.transform(_faces(1, size=32))
    with pytest.raises(ValueError, match="step"):
        DenseSIFT(step=-2).fit(_faces(1))


# DenseSIFT only accepts stacks of face images ((n, 48, 48) or (n, 2304), or
# any (n, h, w) large enough for one descriptor); scikit-learn's generic
# checks feed small (n, d) tables, so every check that fits on such data
# fails at input validation, by design.
DENSE_SIFT_EXPECTED_FAILURES = expected_failures(())


def test_check_estimator():
    check_face_transformer(DenseSIFT(), DENSE_SIFT_EXPECTED_FAILURES)


@pytest.mark.parametrize("X, error, match", [
    (np.ones((2, 2304), dtype=complex), ValueError, "Complex data not supported"),
    (np.ones((2, 0)), ValueError, r"0 feature\(s\) \(shape=\(2, 0\)\) while a minimum of 2304"),
    (np.ones((2, 1)), ValueError, r"1 feature\(s\) \(shape=\(2, 1\)\), but rows of 2304 pixels"),
])
def test_bad_tables_are_refused_in_scikit_learns_words(X, error, match):
    with pytest.raises(error, match=match):
        DenseSIFT().fit(X)
    with pytest.raises(error, match=match):
        DenseSIFT().fit(_faces(1)).transform(X)
