"""Tests for fer_classic.features.bovw (bag of visual words, spatial pyramid)."""

import numpy as np
import pytest
from scipy import ndimage, sparse
from sklearn.exceptions import NotFittedError
from sklearn.metrics import pairwise_distances_argmin
from sklearn.svm import LinearSVC

from fer_classic.features.bovw import (
    BagOfVisualWords, allocate_words, assign_words, assign_words_two_level,
    fit_two_level_codebook, pyramid_cells)
from fer_classic.features.sift import DenseSIFT
from face_estimator_checks import check_face_transformer, expected_failures


def _faces(n=24, seed=0):
    rng = np.random.default_rng(seed)
    img = ndimage.gaussian_filter(rng.normal(128, 60, size=(n, 48, 48)), sigma=(0, 1.5, 1.5))
    return np.clip(img, 0, 255) / 255  # float faces hold intensities in [0, 1]


def _small(**kwargs):
    params = dict(n_words=12, n_samples=1500, n_init=1, max_iter=20,
                  extractor=DenseSIFT(step=4))
    params.update(kwargs)
    return BagOfVisualWords(**params)


@pytest.fixture(scope="module")
def fitted():
    faces = _faces()
    return _small(encoding="histogram", normalize=None).fit(faces), faces


def test_fit_learns_codebook_and_layout(fitted):
    bovw, faces = fitted
    assert bovw.codebook_.shape == (12, 128) and bovw.codebook_.dtype == np.float32
    assert bovw.n_cells_ == 5 and bovw.cells_.shape == (81, 2)
    assert bovw.feature_blocks_ == [slice(0, 12), slice(12, 60)]
    assert bovw.n_descriptors_ == 1500
    assert bovw.transform(faces[:3]).shape == (3, 60)
    assert len(bovw.get_feature_names_out()) == 60


def test_histogram_counts_match_brute_force(fitted):
    bovw, faces = fitted
    words = bovw.transform_words(faces[:5])
    desc = bovw.extractor_.transform_descriptors(faces[:5])
    brute = pairwise_distances_argmin(desc.reshape(-1, 128), bovw.codebook_).reshape(5, -1)
    np.testing.assert_array_equal(words, brute)
    X = bovw.transform(faces[:5])
    pos = bovw.positions_
    for i in range(5):
        np.testing.assert_array_equal(X[i, :12], np.bincount(words[i], minlength=12))
        top_left = (pos[:, 0] < 24) & (pos[:, 1] < 24)
        np.testing.assert_array_equal(X[i, 12:24], np.bincount(words[i, top_left], minlength=12))
    # the four 2x2 cells add up to the whole-face histogram
    np.testing.assert_array_equal(X[:, 12:].reshape(5, 4, 12).sum(axis=1), X[:, :12])
    assert np.all(X[:, :12].sum(axis=1) == 81)


def test_presence_is_nonzero_pattern_of_histogram(fitted):
    bovw, faces = fitted
    hist = bovw.transform(faces[:6])
    pres = bovw.set_params(encoding="presence").transform(faces[:6])
    bovw.set_params(encoding="histogram")
    np.testing.assert_array_equal(pres, (hist > 0).astype(np.float32))


@pytest.mark.parametrize("norm, order", [("l1", 1), ("l2", 2)])
def test_each_level_block_is_normalised(fitted, norm, order):
    bovw, faces = fitted
    bovw.set_params(normalize=norm, level_weights=(1.0, 0.5))
    try:
        X = bovw.transform(faces[:4])
    finally:
        bovw.set_params(normalize=None, level_weights=None)
    np.testing.assert_allclose(np.linalg.norm(X[:, :12], ord=order, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(X[:, 12:], ord=order, axis=1), 0.5, rtol=1e-5)


@pytest.mark.parametrize("encoding", ["presence", "histogram"])
@pytest.mark.parametrize("normalize", ["l2", None])
def test_sparse_output_equals_dense(fitted, encoding, normalize):
    bovw, faces = fitted
    bovw.set_params(encoding=encoding, normalize=normalize)
    try:
        dense = bovw.transform(faces[:5])
        bovw.set_params(sparse_output=True)
        sp = bovw.transform(faces[:5])
    finally:
        bovw.set_params(encoding="histogram", normalize=None, sparse_output=False)
    assert sparse.issparse(sp) and sp.format == "csr" and sp.dtype == np.float32
    np.testing.assert_allclose(sp.toarray(), dense, rtol=1e-6)


def test_encode_reuses_words(fitted):
    bovw, faces = fitted
    words = bovw.transform_words(faces[:4])
    np.testing.assert_array_equal(bovw.encode(words), bovw.transform(faces[:4]))
    with pytest.raises(ValueError, match="shape"):
        bovw.encode(words[:, :5])
    with pytest.raises(ValueError, match="lie in"):
        bovw.encode(words + 100)


def test_fit_is_deterministic_and_seeded():
    faces = _faces(16)
    a = _small(random_state=3).fit(faces)
    b = _small(random_state=3).fit(faces)
    c = _small(random_state=4).fit(faces)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    np.testing.assert_array_equal(a.transform(faces), b.transform(faces))
    assert not np.allclose(np.sort(a.codebook_, axis=0), np.sort(c.codebook_, axis=0))


def test_chunking_and_threads_do_not_change_words(fitted):
    bovw, faces = fitted
    ref = bovw.transform_words(faces)
    bovw.set_params(chunk_size=5, n_jobs=2)
    try:
        np.testing.assert_array_equal(bovw.transform_words(faces), ref)
    finally:
        bovw.set_params(chunk_size=512, n_jobs=None)


def test_separates_simple_texture_classes():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:48, :48]
    faces, y = [], []
    for i in range(40):
        label = i % 2
        period = rng.uniform(5, 8)
        phase = rng.uniform(0, 2 * np.pi)
        coord = yy if label == 0 else xx  # horizontal vs vertical stripes
        faces.append(128 + 60 * np.sin(2 * np.pi * coord / period + phase)
                     + rng.normal(0, 10, size=(48, 48)))
        y.append(label)
    faces, y = np.clip(np.array(faces), 0, 255) / 255, np.array(y)
    bovw = _small(n_words=16, n_samples=2000).fit(faces[:20])
    clf = LinearSVC(random_state=0).fit(bovw.transform(faces[:20]), y[:20])
    assert clf.score(bovw.transform(faces[20:]), y[20:]) == 1.0


def test_assign_words_matches_sklearn():
    rng = np.random.default_rng(0)
    x = rng.random((1000, 16), dtype=np.float32)
    c = rng.random((37, 16), dtype=np.float32)
    np.testing.assert_array_equal(assign_words(x, c, batch_size=100),
                                  pairwise_distances_argmin(x, c))


def test_assign_words_default_block_matches_explicit_batches():
    rng = np.random.default_rng(1)
    x = rng.random((5000, 8), dtype=np.float32)
    c = rng.random((3000, 8), dtype=np.float32)  # default block: 1398 rows
    np.testing.assert_array_equal(assign_words(x, c), assign_words(x, c, batch_size=5000))


@pytest.mark.parametrize("counts, n_words", [
    ([10, 30, 1], 6), ([5, 5, 5], 3), ([5, 5, 5], 15), ([1, 1000, 7, 2], 40), ([3], 2)])
def test_allocate_words_splits_in_proportion_within_bounds(counts, n_words):
    words = allocate_words(counts, n_words)
    counts = np.asarray(counts)
    assert words.sum() == n_words
    assert np.all(words >= 1) and np.all(words <= counts)
    # largest remainder: no cell is more than one word off its fair share
    share = 1 + (n_words - len(counts)) * (counts - 1) / (counts - 1).sum().clip(1)
    assert np.all(np.abs(words - share) < 1 + 1e-9)


@pytest.mark.parametrize("counts, n_words", [([3, 0], 2), ([3, 3], 1), ([3, 3], 7)])
def test_allocate_words_rejects_impossible_splits(counts, n_words):
    with pytest.raises(ValueError, match="cannot split"):
        allocate_words(counts, n_words)


def test_two_level_assignment_is_nearest_word_of_nearest_cell():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 6)).astype(np.float32)
    coarse, codebook, offsets = fit_two_level_codebook(x[:1500], 40, 5, random_state=0,
                                                       n_init=1, max_iter=20)
    assert codebook.shape == (40, 6) and offsets[0] == 0 and offsets[-1] == 40
    assert np.all(np.diff(offsets) >= 1) and len(offsets) == len(coarse) + 1
    words = assign_words_two_level(x, coarse, codebook, offsets)
    cells = pairwise_distances_argmin(x, coarse)
    for i in range(0, len(x), 97):
        lo, hi = offsets[cells[i]], offsets[cells[i] + 1]
        assert words[i] == lo + pairwise_distances_argmin(x[i:i + 1], codebook[lo:hi])[0]
    # one coarse cell is a flat codebook; so is searching every cell
    flat = assign_words(x, codebook)
    np.testing.assert_array_equal(assign_words_two_level(x, coarse[:1], codebook, [0, 40]), flat)
    np.testing.assert_array_equal(
        assign_words_two_level(x, coarse, codebook, offsets, n_probes=len(coarse)), flat)
    # two probes: the nearest word of the two nearest cells
    two = assign_words_two_level(x, coarse, codebook, offsets, n_probes=2)
    d_coarse = ((x[:, None, :] - coarse[None]) ** 2).sum(-1)
    for i in range(0, len(x), 97):
        near = np.argsort(d_coarse[i])[:2]
        allowed = np.concatenate([np.arange(offsets[c], offsets[c + 1]) for c in near])
        d = ((codebook[allowed] - x[i]) ** 2).sum(-1)
        assert two[i] == allowed[np.argmin(d)]
    assert np.mean(two == flat) > np.mean(words == flat)
    with pytest.raises(ValueError, match="n_probes"):
        assign_words_two_level(x, coarse, codebook, offsets, n_probes=0)


def test_two_level_codebook_is_seeded():
    x = np.random.default_rng(2).normal(size=(800, 4))
    a = fit_two_level_codebook(x, 30, 4, random_state=3, n_init=1)
    b = fit_two_level_codebook(x, 30, 4, random_state=3, n_init=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_two_level_bag_of_words_uses_the_tree():
    faces = _faces()
    bovw = _small(n_words=24, n_coarse_words=4).fit(faces)
    assert bovw.codebook_.shape == (24, 128) and bovw.word_offsets_[-1] == 24
    desc = bovw.extractor_.transform_descriptors(faces[:5])
    expected = assign_words_two_level(desc.reshape(-1, 128), bovw.coarse_codebook_,
                                      bovw.codebook_, bovw.word_offsets_).reshape(5, -1)
    np.testing.assert_array_equal(bovw.transform_words(faces[:5]), expected)
    assert bovw.transform(faces[:5]).shape == (5, 24 * 5)
    flat = _small(n_words=24).fit(faces)
    assert flat.coarse_codebook_ is None and flat.word_offsets_ is None
    bovw.set_params(n_probes=2)
    expected = assign_words_two_level(desc.reshape(-1, 128), bovw.coarse_codebook_,
                                      bovw.codebook_, bovw.word_offsets_,
                                      n_probes=2).reshape(5, -1)
    np.testing.assert_array_equal(bovw.transform_words(faces[:5]), expected)


def test_pyramid_cells_numbering():
    pos = np.array([[0, 0], [0, 47], [47, 0], [47, 47], [24, 23]])
    cells = pyramid_cells(pos, (48, 48), (1, 2, 3))
    assert cells[:, 0].tolist() == [0] * 5
    assert cells[:, 1].tolist() == [1, 2, 3, 4, 3]
    assert cells[:, 2].tolist() == [5, 7, 11, 13, 9]


@pytest.mark.parametrize("kwargs, match", [
    ({"n_words": 0}, "n_words"),
    ({"pyramid_levels": ()}, "pyramid_levels"),
    ({"pyramid_levels": (1, 1)}, "repeat"),
    ({"pyramid_levels": (0,)}, "pyramid level"),
    ({"encoding": "soft"}, "encoding"),
    ({"normalize": "max"}, "normalize"),
    ({"level_weights": (1.0,)}, "level_weights"),
    ({"sparse_output": "yes"}, "sparse_output"),
    ({"n_words": 5000}, "at least as many descriptors"),
    ({"n_coarse_words": 0}, "n_coarse_words"),
    ({"n_coarse_words": 13}, "must not exceed n_words=12"),
    ({"n_probes": 0}, "n_probes"),
])
def test_bad_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _small(**kwargs).fit(_faces(4))


def test_unfitted_and_wrong_shape_errors(fitted):
    with pytest.raises(NotFittedError):
        _small().transform(_faces(2))
    bovw, _ = fitted
    with pytest.raises(ValueError, match="shape"):
        bovw.transform(np.zeros((2, 32, 32)))


# Like DenseSIFT, BagOfVisualWords only accepts face images; scikit-learn's
# generic checks feed small (n, d) tables, rejected at input validation.
# (it declares float32 preserved, and the dtype check fits a float32 table)
BOVW_EXPECTED_FAILURES = expected_failures(["check_transformer_n_iter",
                                            "check_transformer_preserve_dtypes"])


@pytest.mark.parametrize("n_coarse_words", [None, 2])
def test_check_estimator(n_coarse_words):
    check_face_transformer(BagOfVisualWords(n_words=4, n_samples=200, n_init=1,
                                            n_coarse_words=n_coarse_words),
                           BOVW_EXPECTED_FAILURES)
