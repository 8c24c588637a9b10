"""scikit-learn's parameter validation on every public model of fer_classic.models."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_param_validation

from fer_classic import models
from fer_classic.models import (
    CachedClassifier,
    ClusteredLocalClassifier,
    DualLinearSVM,
    KernelSVC,
    LinearSVM,
    LocalLearningClassifier,
    MirrorClassifier,
)

MODELS = {
    "LinearSVM": lambda: LinearSVM(),
    "DualLinearSVM": lambda: DualLinearSVM(random_state=0),
    "KernelSVC": lambda: KernelSVC(kernel="linear"),
    "LocalLearningClassifier": lambda: LocalLearningClassifier(n_neighbors=5),
    # image_shape=None: the check's tabular rows are one-row images
    "MirrorClassifier": lambda: MirrorClassifier(LogisticRegression(), image_shape=None),
    "CachedClassifier": lambda: CachedClassifier(LinearSVM()),
    "ClusteredLocalClassifier": lambda: ClusteredLocalClassifier(n_clusters=2, n_neighbors=10),
}


def test_every_public_model_is_listed():
    public = {name for name in models.__all__
              if inspect.isclass(getattr(models, name))
              and issubclass(getattr(models, name), BaseEstimator)}
    assert public == set(MODELS)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_parameter_constraints(name):
    est = MODELS[name]()
    assert set(est._parameter_constraints) == set(est.get_params(deep=False))
    # scikit-learn's own validation, not an override with another meaning
    assert type(est)._validate_params is BaseEstimator._validate_params


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_raises_invalid_parameter_error_naming_the_parameter(name):
    # scikit-learn's own check (not part of check_estimator): every parameter
    # given a value of a wrong type, or an invalid value its constraints
    # describe, makes fit raise InvalidParameterError naming the parameter
    check_param_validation(name, MODELS[name]())
