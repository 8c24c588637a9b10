"""Raw pixel intensities as features."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import FACE_SIZE
from ..utils.validation import check_faces, intensities_255
from .contrast import equalize_faces

__all__ = ["Pixels"]


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


class Pixels(TransformerMixin, BaseEstimator):
    """Flattened pixel intensities of 48x48 faces, scaled to [0, 1].

    Parameters
    ----------
    equalize : bool, default=False
        Histogram-equalise each face first
        (:func:`~fer_classic.features.contrast.equalize_faces`), which
        spreads its intensities over [0, 255].
    standardize : bool, default=False
        Then give each face zero mean and unit variance (faces of constant
        intensity become all zeros instead of dividing by zero).

    Attributes
    ----------
    n_features_in_ : int
        2304, the number of pixels of a face.
    n_features_out_ : int
        2304.

    Notes
    -----
    Input faces follow :func:`~fer_classic.utils.validation.check_faces`:
    integers in 0..255 (uint8) or floats in [0, 1]; the output is the
    intensities in [0, 1] as float32, per-face standardised if asked. With
    ``equalize``, float faces are rounded to the nearest of the 256 levels
    first.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.full((2, 48, 48), 255, dtype=np.uint8)
    >>> Pixels().fit_transform(faces)[:, :3]
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, equalize=False, standardize=False):
        self.equalize = equalize
        self.standardize = standardize

    def _check_input(self, X):
        return intensities_255(check_faces(X, dtype=None))

    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, 48, 48) or (n, 2304)
            Faces: uint8 in 0..255, or floats in [0, 1].
        y : ignored

        Returns
        -------
        self : Pixels
        """
        _check_bool(self.equalize, "equalize")
        _check_bool(self.standardize, "standardize")
        self._check_input(X)
        self.n_features_in_ = FACE_SIZE * FACE_SIZE
        self.n_features_out_ = FACE_SIZE * FACE_SIZE
        return self

    def transform(self, X):
        """Pixel features of each face.

        Parameters
        ----------
        X : array-like of shape (n, 48, 48) or (n, 2304)
            Faces: uint8 in 0..255, or floats in [0, 1].

        Returns
        -------
        features : ndarray of shape (n, 2304), float32
        """
        check_is_fitted(self, "n_features_out_")
        faces = self._check_input(X)
        n = len(faces)
        if self.equalize:
            faces = equalize_faces(faces)
        out = faces.reshape(n, -1).astype(np.float32)
        out *= np.float32(1 / 255)
        if self.standardize:
            out -= out.mean(axis=1, keepdims=True)
            std = out.std(axis=1, keepdims=True)
            std[std == 0] = 1
            out /= std
        return out

    def get_feature_names_out(self, input_features=None):
        """Names ``pixel_{row}_{col}`` of the output features."""
        check_is_fitted(self, "n_features_out_")
        return np.asarray(
            [f"pixel_{r}_{c}" for r in range(FACE_SIZE) for c in range(FACE_SIZE)], dtype=object
        )
