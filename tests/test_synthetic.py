"""Tests of the synthetic expression faces."""

import numpy as np
import pytest
from skimage.feature import hog
from sklearn.svm import LinearSVC

from fer_classic import EMOTIONS, SPLITS
from fer_classic.datasets import FER2013, make_synthetic_faces


def test_container(synthetic_faces):
    data = synthetic_faces
    assert isinstance(data, FER2013)
    assert data.source == "synthetic" and data.is_synthetic and data.path is None
    assert data.images.shape == (140, 48, 48) and data.images.dtype == np.uint8
    assert data.target.dtype == np.int64
    assert "SYNTHETIC" in repr(data)
    assert data.ids[0] == "synthetic/Training/Angry/00000"
    assert len(set(data.ids.tolist())) == len(data)


def test_every_split_gets_every_class():
    data = make_synthetic_faces(3, random_state=0)
    assert data.counts().to_numpy().tolist() == [[1, 1, 1]] * 7
    data = make_synthetic_faces(10, splits=(0.5, 0.3, 0.2), random_state=0)
    assert data.counts().to_numpy().tolist() == [[5, 3, 2]] * 7
    data = make_synthetic_faces(4, splits=(0.98, 0.01, 0.01), random_state=0)
    assert (data.counts().to_numpy() >= 1).all() and len(data) == 28


def test_order_is_split_then_label(synthetic_faces):
    split_rank = np.array([SPLITS.index(s) for s in synthetic_faces.split])
    key = split_rank * 10 + synthetic_faces.target
    assert (np.diff(key) >= 0).all()


def test_deterministic():
    a = make_synthetic_faces(5, random_state=42)
    b = make_synthetic_faces(5, random_state=42)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.fingerprint() == b.fingerprint()
    c = make_synthetic_faces(5, random_state=43)
    assert not np.array_equal(a.images, c.images)
    d = make_synthetic_faces(5, random_state=np.random.RandomState(42))
    np.testing.assert_array_equal(a.images, d.images)


def test_faces_vary_and_use_the_range(synthetic_faces):
    images = synthetic_faces.images.astype(float)
    assert (images.reshape(len(images), -1).std(axis=1) > 5).all()  # no blank faces
    assert images.min() < 40 and images.max() > 215
    # no two faces are the same
    flat = synthetic_faces.images.reshape(len(images), -1)
    assert len(np.unique(flat, axis=0)) == len(flat)


def _hog(images):
    return np.array([hog(im, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                     for im in images])


def test_learnable_but_not_trivial():
    data = make_synthetic_faces(60, splits=(0.6, 0.2, 0.2), random_state=0)
    X_train, y_train = data.get_split("Training")
    X_test, y_test = data.get_split("PrivateTest")
    chance = 1 / len(EMOTIONS)

    svm = LinearSVC(C=0.1).fit(_hog(X_train), y_train)
    hog_acc = svm.score(_hog(X_test), y_test)
    assert 2 * chance < hog_acc < 0.97
    # the expression, not the identity, is what is learnt: shuffled labels give chance
    rng = np.random.default_rng(0)
    shuffled = LinearSVC(C=0.1).fit(_hog(X_train), rng.permutation(y_train))
    assert shuffled.score(_hog(X_test), y_test) < 2 * chance


@pytest.mark.parametrize("n", [2, 0, -5, 2.5, "10", True])
def test_bad_n_per_class(n):
    with pytest.raises(ValueError, match="n_per_class"):
        make_synthetic_faces(n)


@pytest.mark.parametrize(
    "splits", [(0.8, 0.2), (0.5, 0.5, 0.5), (1.0, 0.0, 0.0), (1.2, -0.1, -0.1), "abc",
               (0.8, np.nan, 0.1)]
)
def test_bad_splits(splits):
    with pytest.raises(ValueError, match="splits"):
        make_synthetic_faces(10, splits=splits)


def test_bad_random_state():
    with pytest.raises(ValueError, match="random_state"):
        make_synthetic_faces(5, random_state="seed")
