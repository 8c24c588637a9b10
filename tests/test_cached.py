import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.models import CachedClassifier, LinearSVM, LocalLearningClassifier
from fer_classic.protocol import run_protocol

FITS = []


class CountingSVM(LinearSVM):
    """LinearSVM that records every real fit (the cache must skip them)."""

    def fit(self, X, y):
        FITS.append(self.C)
        return super().fit(X, y)


@pytest.fixture(autouse=True)
def _reset_fits():
    FITS.clear()


def _data(seed=0):
    return make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3,
                               random_state=seed)


@pytest.mark.parametrize("memory", [None, "tmp"])
def test_check_estimator(memory, tmp_path):
    check_estimator(CachedClassifier(LinearSVM(), memory=tmp_path if memory else None))


def test_second_fit_reads_the_cache(tmp_path):
    X, y = _data()
    first = CachedClassifier(CountingSVM(C=0.5), memory=tmp_path).fit(X, y)
    again = CachedClassifier(CountingSVM(C=0.5), memory=str(tmp_path)).fit(X, y)
    assert FITS == [0.5]
    np.testing.assert_array_equal(first.decision_function(X), again.decision_function(X))
    np.testing.assert_array_equal(again.classes_, np.unique(y))
    assert again.n_features_in_ == X.shape[1]


def test_other_data_or_parameters_fit_again(tmp_path):
    X, y = _data()
    CachedClassifier(CountingSVM(C=0.5), memory=tmp_path).fit(X, y)
    CachedClassifier(CountingSVM(C=1.0), memory=tmp_path).fit(X, y)
    X2 = X.copy()
    X2[0, 0] += 1.0
    CachedClassifier(CountingSVM(C=0.5), memory=tmp_path).fit(X2, y)
    CachedClassifier(CountingSVM(C=0.5), memory=tmp_path).fit(X, y[::-1])
    assert FITS == [0.5, 1.0, 0.5, 0.5]


def test_without_memory_it_is_the_estimator():
    X, y = _data()
    cached = CachedClassifier(LinearSVM(C=0.5)).fit(X, y)
    plain = LinearSVM(C=0.5).fit(X, y)
    np.testing.assert_array_equal(cached.predict(X), plain.predict(X))
    np.testing.assert_allclose(cached.decision_function(X), plain.decision_function(X))


@pytest.mark.parametrize("params, name", [
    ({"estimator": FunctionTransformer()}, "estimator"),
    ({"estimator": LinearSVM(), "memory": 123}, "memory"),
])
def test_parameter_errors(params, name):
    # scikit-learn's InvalidParameterError (a ValueError) names the parameter
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of CachedClassifier"):
        CachedClassifier(**params).fit(*_data())


def test_memory_may_be_a_path_or_a_joblib_memory(tmp_path):
    X, y = _data()
    CachedClassifier(CountingSVM(), memory=tmp_path).fit(X, y)
    CachedClassifier(CountingSVM(), memory=str(tmp_path)).fit(X, y)
    assert FITS == [1.0]
    memory = joblib.Memory(tmp_path / "joblib", verbose=0)
    for _ in range(2):
        CachedClassifier(CountingSVM(C=0.5), memory=memory).fit(X, y)
    assert FITS == [1.0, 0.5]


def test_methods_follow_the_estimator():
    assert hasattr(CachedClassifier(LogisticRegression()), "predict_proba")
    assert not hasattr(CachedClassifier(LinearSVM()), "predict_proba")


def test_protocol_shares_one_fit_between_pipelines(tmp_path):
    """A global SVM of its own and inside local learning: fitted once."""
    X, y = make_classification(n_samples=240, n_features=8, n_informative=5, n_classes=3,
                               random_state=1)
    splits = {"Training": (X[:160], y[:160]), "PublicTest": (X[160:200], y[160:200]),
              "PrivateTest": (X[200:], y[200:])}

    def pipeline(classifier):
        return Pipeline([("scale", FunctionTransformer(np.tanh)), ("clf", classifier)])

    alone = pipeline(CachedClassifier(CountingSVM(C=0.3)))
    local = pipeline(LocalLearningClassifier(
        n_neighbors=40, global_estimator=CachedClassifier(CountingSVM(C=0.3))))
    kw = dict(data_key="synthetic", memory=tmp_path, verbose=False)
    res_local = run_protocol(local, {}, splits, **kw)
    res_alone = run_protocol(alone, {}, splits, **kw)
    assert FITS == [0.3]
    global_part = res_local.estimator[-1].global_estimator_
    np.testing.assert_array_equal(global_part.decision_function(X),
                                  res_alone.estimator[-1].decision_function(X))
    # without a cache both fit
    run_protocol(alone, {}, splits, verbose=False)
    assert FITS == [0.3, 0.3]
    # the caller's pipeline is left as it was
    assert alone[-1].memory is None


def test_protocol_gives_its_memory_to_cached_classifiers_only(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fer_classic.protocol import _with_memory

    inner = CachedClassifier(LinearSVM())
    clf = _with_memory(make_pipeline(StandardScaler(), inner), tmp_path)
    assert clf.memory is None  # a Pipeline's own cache is the user's choice
    assert clf[-1].memory == tmp_path and inner.memory is None
    mine = CachedClassifier(LinearSVM(), memory=tmp_path / "mine")
    assert _with_memory(mine, tmp_path) is mine
    local = _with_memory(LocalLearningClassifier(global_estimator=inner), tmp_path)
    assert local.global_estimator.memory == tmp_path
