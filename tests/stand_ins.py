"""Small stand-in estimators shared by test modules."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class OnlyPredict(ClassifierMixin, BaseEstimator):
    """A classifier with ``predict`` only (no scores): always the first class."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])
