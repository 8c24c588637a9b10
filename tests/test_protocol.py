import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fer_classic import SPLITS
from fer_classic.datasets import make_synthetic_faces, mirror_faces
from fer_classic.features import HOG
from fer_classic.models import LinearSVM
from fer_classic.protocol import compute_features, run_protocol, score_predictions, split_params


def _blobs(n, rng, shift):
    y = np.arange(n) % 7
    X = rng.normal(size=(n, 12)) + shift * np.eye(7, 12)[y]
    return X, y


@pytest.fixture
def splits():
    rng = np.random.default_rng(0)
    return {"Training": _blobs(350, rng, 1.5), "PublicTest": _blobs(140, rng, 1.5),
            "PrivateTest": _blobs(140, rng, 1.5)}


class CountingScaler(StandardScaler):
    """StandardScaler that counts its fits in a class attribute."""

    n_fits = 0

    def fit(self, X, y=None, sample_weight=None):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight)


def test_score_predictions_counts_and_absent_class():
    s = score_predictions([0, 0, 1, 2], [0, 1, 1, 2], n_classes=4)
    assert s["accuracy"] == pytest.approx(0.75)
    assert s["confusion"] == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert s["per_class_recall"][:3] == [0.5, 1.0, 1.0]
    assert s["per_class_recall"][3] is None  # class 3 absent: no recall, not 0
    # macro-F1 over the present classes only
    assert s["macro_f1"] == pytest.approx(np.mean([2 / 3, 2 / 3, 1.0]))


def test_split_params():
    feat, clf = split_params({"a__b": 1, "clf__C": 2, "clfx__d": 3}, "clf")
    assert feat == {"a__b": 1, "clfx__d": 3} and clf == {"clf__C": 2}


def test_protocol_matches_gridsearch_with_predefined_split(splits):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))])
    grid = {"clf__C": [0.001, 0.01, 1.0]}
    res = run_protocol(pipe, grid, splits, verbose=False)

    (Xt, yt), (Xp, yp) = splits["Training"], splits["PublicTest"]
    fold = np.r_[np.full(len(yt), -1), np.zeros(len(yp), int)]
    gs = GridSearchCV(pipe, grid, cv=PredefinedSplit(fold), refit=False)
    gs.fit(np.vstack([Xt, Xp]), np.r_[yt, yp])
    assert res.best_params == gs.best_params_
    accs = [c["public_accuracy"] for c in res.search]
    np.testing.assert_allclose(accs, gs.cv_results_["mean_test_score"])
    # the returned estimator is fitted on Training only and scores PrivateTest
    ref = pipe.set_params(**gs.best_params_).fit(Xt, yt)
    Xq, yq = splits["PrivateTest"]
    assert res.private["accuracy"] == pytest.approx(np.mean(ref.predict(Xq) == yq))
    np.testing.assert_array_equal(res.estimator.predict(Xq), ref.predict(Xq))
    assert res.n_train == len(yt)
    assert set(res.timings) == {"features", "fit", "predict", "search"}


def test_features_computed_once_per_feature_setting(splits, tmp_path):
    CountingScaler.n_fits = 0
    pipe = Pipeline([("scale", CountingScaler()), ("clf", LogisticRegression(max_iter=300))])
    grid = {"scale__with_mean": [True, False], "clf__C": [0.01, 0.1, 1.0]}
    res = run_protocol(pipe, grid, splits, verbose=False)
    assert len(res.search) == 6
    assert CountingScaler.n_fits == 2  # one per feature setting, not per candidate

    # with a disk cache, a second run does not fit the features again
    CountingScaler.n_fits = 0
    run_protocol(pipe, grid, splits, data_key="k", memory=tmp_path, verbose=False)
    assert CountingScaler.n_fits == 2
    again = run_protocol(pipe, grid, splits, data_key="k", memory=tmp_path, verbose=False)
    assert CountingScaler.n_fits == 2
    assert again.best_params == res.best_params


def test_classifier_only_pipeline_and_ties_keep_grid_order(splits):
    pipe = Pipeline([("clf", LogisticRegression(max_iter=300))])
    res = run_protocol(pipe, {"clf__C": [1.0, 1.0000001]}, splits, verbose=False)
    assert res.best_params == {"clf__C": 1.0}


def test_parallel_candidates_give_same_result(splits):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    grid = {"clf__C": [0.01, 0.1, 1.0]}
    a = run_protocol(pipe, grid, splits, verbose=False)
    b = run_protocol(pipe, grid, splits, n_jobs=2, verbose=False)
    assert a.best_params == b.best_params and a.private == b.private


def test_bad_arguments(splits):
    with pytest.raises(ValueError, match="PrivateTest"):
        run_protocol(Pipeline([("clf", LogisticRegression())]), {},
                     {k: v for k, v in splits.items() if k != "PrivateTest"}, verbose=False)
    with pytest.raises(TypeError, match="Pipeline"):
        run_protocol(LogisticRegression(), {}, splits, verbose=False)


def _face_splits():
    from fer_classic.datasets import make_synthetic_faces
    data = make_synthetic_faces(n_per_class=10, random_state=0)
    return {s: data.get_split(s) for s in ("Training", "PublicTest", "PrivateTest")}


@pytest.mark.parametrize("sparse_features", [False, True])
def test_mirror_train_fits_on_faces_and_their_mirror_images(tmp_path, sparse_features):
    from scipy import sparse
    from sklearn.neighbors import KNeighborsClassifier
    from fer_classic.datasets import mirror_faces
    from fer_classic.features import Pixels
    from sklearn.preprocessing import FunctionTransformer

    splits = _face_splits()
    X_train, y_train = splits["Training"]
    to_sparse = FunctionTransformer(sparse.csr_matrix if sparse_features else None,
                                    accept_sparse=True)
    pipe = Pipeline([("pixels", Pixels()), ("fmt", to_sparse),
                     ("knn", KNeighborsClassifier(n_neighbors=1))])
    for memory in (None, tmp_path):  # also through the feature cache
        res = run_protocol(pipe, {}, splits, mirror_train=True, verbose=False,
                           data_key="k", memory=memory)
        knn = res.estimator.steps[-1][1]
        assert res.n_train == knn.n_samples_fit_ == 2 * len(X_train)
        np.testing.assert_array_equal(knn.classes_[knn._y], np.r_[y_train, y_train])
        # the second half is the mirror images, featurised by the same steps
        feats = Pipeline(res.estimator.steps[:-1])
        fitted_X = knn._fit_X.toarray() if sparse_features else knn._fit_X
        expect = feats.transform(mirror_faces(X_train))
        expect = expect.toarray() if sparse_features else expect
        np.testing.assert_allclose(fitted_X[len(X_train):], expect)
    plain = run_protocol(pipe, {}, splits, verbose=False)
    assert plain.n_train == len(X_train)


def test_mirror_train_without_feature_steps():
    from sklearn.neighbors import KNeighborsClassifier
    splits = _face_splits()
    flat = {s: (X.reshape(len(X), -1).astype(float), y) for s, (X, y) in splits.items()}
    res = run_protocol(Pipeline([("knn", KNeighborsClassifier(1))]), {}, flat,
                       mirror_train=True, verbose=False)
    assert res.n_train == 2 * len(flat["Training"][1])


def test_mirror_faces_shapes_and_errors():
    from fer_classic.datasets import mirror_faces
    faces = np.arange(2 * 48 * 48, dtype=np.uint8).reshape(2, 48, 48)
    m = mirror_faces(faces)
    assert m.dtype == np.uint8 and m.shape == faces.shape
    np.testing.assert_array_equal(m[:, :, 0], faces[:, :, -1])
    np.testing.assert_array_equal(mirror_faces(faces.reshape(2, -1)), m.reshape(2, -1))
    np.testing.assert_array_equal(mirror_faces(m), faces)
    with pytest.raises(ValueError, match=r"\(n, 48, 48\) or \(n, 2304\)"):
        mirror_faces(np.zeros((2, 100)))


def test_compute_features_are_those_the_protocol_uses(tmp_path):
    data = make_synthetic_faces(n_per_class=6, random_state=0)
    splits = {s: data.get_split(s) for s in SPLITS}
    pipe = Pipeline([("hog", HOG()), ("svm", LinearSVM(C=0.1))])
    F = compute_features(pipe, splits, data_key="k", memory=tmp_path, mirror_train=True,
                         mirror_test=True, verbose=False)
    assert list(F) == ["Training", "PublicTest", "PrivateTest", "PublicTest mirrored",
                       "PrivateTest mirrored"]
    hog = HOG().fit(splits["Training"][0])
    X_train = splits["Training"][0]
    np.testing.assert_allclose(F["Training"], hog.transform(np.concatenate(
        [X_train, mirror_faces(X_train)])))
    np.testing.assert_allclose(F["PrivateTest mirrored"],
                               hog.transform(mirror_faces(splits["PrivateTest"][0])))
    # a protocol run with the same key reads them from the cache: no new entry
    entries = sorted(tmp_path.rglob("entry.json"))
    assert len(entries) == 1
    run_protocol(pipe, {}, splits, data_key="k", memory=tmp_path, mirror_train=True,
                 mirror_test=True, verbose=False)
    assert sorted(tmp_path.rglob("entry.json")) == entries
    # the fitted feature steps come from the same cache entry and transform alike
    fitted, F2 = compute_features(pipe, splits, data_key="k", memory=tmp_path, mirror_train=True,
                                  mirror_test=True, verbose=False, return_fitted=True)
    assert sorted(tmp_path.rglob("entry.json")) == entries
    np.testing.assert_array_equal(F2["PublicTest"], F["PublicTest"])
    np.testing.assert_array_equal(fitted.transform(splits["PublicTest"][0]), F["PublicTest"])
    with pytest.raises(TypeError, match="feature steps"):
        compute_features(Pipeline([("svm", LinearSVM())]), splits)
    with pytest.raises(ValueError, match="missing"):
        compute_features(pipe, {"Training": splits["Training"]})


def test_protocol_shows_classifier_progress_only_when_verbose(capsys):
    # the fit (L-BFGS iterations) and local learning (faces) show bars inside
    # a verbose protocol run, also when candidates are fitted in threads
    from fer_classic.models import LocalLearningClassifier

    data = make_synthetic_faces(n_per_class=6, random_state=0)
    splits = {s: data.get_split(s) for s in SPLITS}
    pipe = Pipeline([("hog", HOG()), ("clf", LocalLearningClassifier(
        n_neighbors=10, n_jobs=2, global_estimator=LinearSVM(C=0.1)))])
    run_protocol(pipe, {"clf__n_neighbors": [10, 12]}, splits, n_jobs=2, verbose=False)
    err = capsys.readouterr().err
    assert "L-BFGS" not in err and "local learning" not in err
    run_protocol(pipe, {"clf__n_neighbors": [10, 12]}, splits, n_jobs=2, verbose=True)
    err = capsys.readouterr().err
    assert "LinearSVM L-BFGS" in err and "local learning" in err


def test_cached_features_are_written_by_blocks_and_read_memory_mapped(tmp_path, monkeypatch):
    import fer_classic.protocol as protocol
    from fer_classic.utils.mapped import mapping_of

    splits = _face_splits()
    pipe = Pipeline([("hog", HOG()), ("svm", LinearSVM(C=0.1))])
    kw = dict(mirror_train=True, mirror_test=True, verbose=False)
    monkeypatch.setattr(protocol, "_FACE_BLOCK", 7)  # many blocks, the last one short
    in_memory = compute_features(pipe, splits, **kw)  # the same blocks, without a cache
    stored = compute_features(pipe, splits, data_key="k", memory=tmp_path, **kw)
    assert list(stored) == list(in_memory)
    for name, F in stored.items():
        assert mapping_of(F) is not None, name
        np.testing.assert_array_equal(F, in_memory[name], err_msg=name)
    # blocks of faces against one call: the same values but for the order of
    # float32 sums, which BLAS may choose by the number of rows
    X_train = splits["Training"][0]
    np.testing.assert_allclose(stored["Training"], HOG().fit(X_train).transform(
        np.concatenate([X_train, mirror_faces(X_train)])), rtol=1e-5, atol=1e-7)
    # the protocol scores the same from the cache as without it
    res_memory = run_protocol(pipe, {}, splits, **kw)
    res_stored = run_protocol(pipe, {}, splits, data_key="k", memory=tmp_path, **kw)
    np.testing.assert_array_equal(res_stored.predictions["PrivateTest"],
                                  res_memory.predictions["PrivateTest"])


def test_damaged_feature_entry_is_rebuilt(tmp_path):
    from fer_classic.utils.memory import CacheWarning

    splits = _face_splits()
    pipe = Pipeline([("hog", HOG()), ("svm", LinearSVM(C=0.1))])
    first = compute_features(pipe, splits, data_key="k", memory=tmp_path, verbose=False)
    (matrix,) = [p for p in tmp_path.rglob("matrix0.npy")]
    del first
    matrix.write_bytes(matrix.read_bytes()[:100])
    with pytest.warns(CacheWarning, match="rebuilding it"):
        again = compute_features(pipe, splits, data_key="k", memory=tmp_path, verbose=False)
    np.testing.assert_array_equal(again["Training"], HOG().fit_transform(splits["Training"][0]))


def _not_finite(F):
    return F / 0.0


def test_non_finite_features_are_still_checked_by_the_classifier(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    splits = _face_splits()
    pipe = Pipeline([("hog", HOG()), ("nan", FunctionTransformer(_not_finite)),
                     ("svm", LinearSVM(C=0.1))])
    with np.errstate(divide="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match="NaN|infinity"):
        run_protocol(pipe, {}, splits, data_key="k", memory=tmp_path, verbose=False)
