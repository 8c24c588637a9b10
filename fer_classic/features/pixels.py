"""Raw pixel intensities as features."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._face import PixelTransformer, scale_intensities
from .contrast import equalize_faces

__all__ = ["Pixels"]


class Pixels(PixelTransformer):
    """Flattened pixel intensities of faces (48x48 by default), scaled to [0, 1].

    Parameters
    ----------
    equalize : bool, default=False
        Histogram-equalise each face first
        (:func:`~fer_classic.features.contrast.equalize_faces`), which
        spreads its intensities over [0, 255].
    standardize : bool, default=False
        Then give each face zero mean and unit variance (faces of constant
        intensity become all zeros instead of dividing by zero).
    image_shape : tuple of (int, int), default=(48, 48)
        Face size ``(h, w)``: rows of ``h * w`` values are read as faces of
        this shape, and a 3-D stack must have it. One side may be ``-1``
        (as in :func:`numpy.reshape`): ``fit`` takes it from the faces, so
        ``(1, -1)`` reads rows of any width as faces of one row.

    Attributes
    ----------
    image_shape_ : tuple of (int, int)
        The face size ``(h, w)`` of ``fit``'s faces (``image_shape`` with
        its side ``-1`` filled in); ``transform`` takes faces of this size.
    n_features_in_ : int
        ``h * w``, the number of pixels of a face (2304 by default).
    n_features_out_ : int
        ``h * w``.

    Notes
    -----
    Input faces follow :func:`~fer_classic.utils.validation.check_faces`:
    integers in 0..255 (uint8) or floats in [0, 1]; the output is the
    intensities in [0, 1] as float32, per-face standardised if asked. With
    ``equalize``, float faces are rounded to the nearest of the 256 levels
    first.

    Floats are read by one rule, times 255, whatever their value: so the
    output of floats is the floats as given (up to float32 rounding), those
    outside [0, 1] included, and faces of any scale are not rescaled. With
    ``standardize`` (and without ``equalize``) the output does not depend
    on the intensity scale; with ``equalize`` levels outside 0..255 are
    equalised by their order (see
    :class:`~fer_classic.features.HistogramEqualization`).

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.full((2, 48, 48), 255, dtype=np.uint8)
    >>> Pixels().fit_transform(faces)[:, :3]
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)

    With a side ``-1``, the faces' size comes from ``fit``:

    >>> Pixels(image_shape=(1, -1)).fit(np.zeros((2, 5), dtype=np.uint8)).image_shape_
    (1, 5)

    Floats are kept on their scale, [0, 1] or not:

    >>> Pixels(image_shape=(1, -1)).fit_transform(np.array([[0.5, 4.0, -2.0]]))
    array([[ 0.5,  4. , -2. ]], dtype=float32)
    """

    _parameter_constraints = {
        "equalize": ["boolean"],
        "standardize": ["boolean"],
        "image_shape": [tuple],
    }

    def __init__(self, equalize=False, standardize=False, *, image_shape=(48, 48)):
        self.equalize = equalize
        self.standardize = standardize
        self.image_shape = image_shape

    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats
            (intensities in [0, 1], or of any finite value: see Notes).
        y : ignored

        Returns
        -------
        self : Pixels
        """
        super().fit(X, y)
        self.n_features_out_ = self.n_features_in_
        return self

    def transform(self, X):
        """Pixel features of each face.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats
            (intensities in [0, 1], or of any finite value: see Notes).

        Returns
        -------
        features : ndarray of shape (n, h * w), float32
        """
        check_is_fitted(self, "n_features_out_")
        faces = scale_intensities(self._check_faces(X, reset=False))
        n = len(faces)
        if self.equalize:
            faces = equalize_faces(faces, clip=False)
        out = faces.reshape(n, -1).astype(np.float32)
        out *= np.float32(1 / 255)
        if self.standardize:
            out -= out.mean(axis=1, keepdims=True)
            std = out.std(axis=1, keepdims=True)
            std[std == 0] = 1
            out /= std
        return out
