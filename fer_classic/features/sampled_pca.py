"""PCA codes of long feature vectors, for matrices too large to copy.

A Fisher vector of a face has 33,792 values; the Training faces and their
mirror images make a matrix of 3.9 GB in float16. scikit-learn's
:class:`~sklearn.decomposition.PCA` would copy it to float32 or float64 both
to fit and to project. :class:`SampledPCA` fits the same PCA on a random
sample of rows and projects block by block, so that neither step holds more
than the sample and one block in float32; the codes come out unit-length
(as the vectors they stand for) and, by default, in float16.
"""

import numbers

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          _fit_context)
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils.blockwise import as_compute, compute_dtype
from ..utils.mapped import release

__all__ = ["SampledPCA"]

_FLOATS = [np.float64, np.float32, np.float16]

#: Rows of every projection product, the last block padded: the same BLAS
#: call for every row, so a row's code does not depend on the rows around it.
_ROWS = 64


def _gather(X, rows, block=64):
    """``X[rows]`` in the compute dtype, gathered a block of rows at a time.

    Only the result and one block are held (not also the sample in float16),
    and the pages of a memory-mapped ``X`` are released after each block
    (all of them: reading scattered rows maps more than the rows).
    """
    out = np.empty((len(rows), *X.shape[1:]), dtype=compute_dtype(X))
    for start in range(0, len(rows), block):
        chunk = rows[start:start + block]
        out[start:start + len(chunk)] = as_compute(X[chunk])
        release(X)
    return out


class SampledPCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """PCA fitted on a random sample of rows, applied block by block.

    Parameters
    ----------
    n_components : int, default=128
        Dimensions of the code; at most the number of sampled rows and of
        features.
    n_samples : int, default=12_000
        Rows drawn at random (without replacement) to fit the PCA; all rows
        when there are fewer.
    normalize : bool, default=True
        Scale every code to unit length (codes of zero length stay zero),
        so that dot products of codes are cosine similarities.
    dtype : {'float16', 'float32'}, default='float16'
        Type of the codes and of the kept components: float16 halves what a
        model that keeps them holds; products are computed in float32 (or
        float64 for float64 input).
    random_state : int, RandomState instance or None, default=None
        Draws the sample and seeds the randomized SVD.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features), of type ``dtype``
        The principal axes of the sample (randomized SVD of scikit-learn's
        :class:`~sklearn.decomposition.PCA`), largest variance first.
    mean_ : ndarray of shape (n_features,)
        The sample's mean, subtracted before projecting.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Share of the sample's variance along each component.
    n_features_in_ : int
    n_features_out_ : int
        ``n_components``.

    See Also
    --------
    sklearn.decomposition.PCA : what is fitted, on the sample.
    fer_classic.models.LocalLearningClassifier : its ``transformer`` keeps
        codes instead of the training matrix.

    Notes
    -----
    ``transform`` reads float16 input a block of rows at a time, converted
    to float32; every block is projected by the same product (64 rows, the
    last block padded), so a row's code is the same bits in any batch.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 30)).astype(np.float16)
    >>> codes = SampledPCA(n_components=4, n_samples=100, random_state=0).fit_transform(X)
    >>> codes.shape, codes.dtype.name
    ((200, 4), 'float16')
    >>> bool(np.allclose(np.linalg.norm(codes.astype(np.float32), axis=1), 1, atol=1e-3))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "dtype": [StrOptions({"float16", "float32"})],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=128, *, n_samples=12_000, normalize=True, dtype="float16",
                 random_state=None):
        self.n_components = n_components
        self.n_samples = n_samples
        self.normalize = normalize
        self.dtype = dtype
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the PCA on ``n_samples`` random rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float16 input is read as it is, not copied whole.
        y : None
            Ignored.

        Returns
        -------
        self : SampledPCA
        """
        X = validate_data(self, X, dtype=_FLOATS, copy=False)
        n, d = X.shape
        if self.n_components > min(n, self.n_samples, d):
            raise ValueError(
                f"n_components={self.n_components} must be at most the number of sampled rows "
                f"({min(n, self.n_samples)}) and of features ({d}).")
        rng = check_random_state(self.random_state)
        rows = np.sort(rng.choice(n, self.n_samples, replace=False)) if n > self.n_samples \
            else np.arange(n)
        seed = rng.randint(np.iinfo(np.int32).max)
        # the gathered sample is a copy: PCA may centre it in place, the same
        # numbers with one copy of the sample less in memory
        pca = PCA(self.n_components, svd_solver="randomized", random_state=seed, copy=False)
        pca.fit(_gather(X, rows))
        self.components_ = pca.components_.astype(self.dtype)
        self.mean_ = pca.mean_
        self.explained_variance_ratio_ = pca.explained_variance_ratio_
        self.n_features_out_ = self.n_components
        return self

    def transform(self, X):
        """Codes of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            Of type ``dtype``, unit-length with ``normalize``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, copy=False, reset=False)
        dtype = compute_dtype(X)
        mean = self.mean_.astype(dtype)
        projection = self.components_.T.astype(dtype)
        n = X.shape[0]
        out = np.empty((n, self.n_components), dtype=self.dtype)
        block = np.zeros((_ROWS, X.shape[1]), dtype=dtype)
        for start in range(0, n, _ROWS):
            stop = min(start + _ROWS, n)
            block[: stop - start] = as_compute(X[start:stop])
            release(X, slice(start, stop))
            codes = (block - mean) @ projection
            if self.normalize:
                norms = np.linalg.norm(codes, axis=1, keepdims=True)
                codes = codes / np.where(norms > 0, norms, 1)
            out[start:stop] = codes[: stop - start]
        return out

    @property
    def _n_features_out(self):
        """For ``get_feature_names_out``: ``sampledpca0``, ``sampledpca1``, ..."""
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float16"] if self.dtype == "float16" \
            else ["float32"]
        return tags
