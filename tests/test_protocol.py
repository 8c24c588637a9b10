import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fer_classic.protocol import run_protocol, score_predictions, split_params


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
