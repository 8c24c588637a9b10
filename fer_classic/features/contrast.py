"""Per-face contrast normalisation: histogram equalisation.

FER2013's faces come in two forms: the original ``fer2013.csv`` pixels, of
every contrast and brightness, and copies histogram-equalised face by face
(the image-folder copy these benchmarks use). Equalising every face first
maps both to (nearly) the same image: the result depends only on the order
of a face's grey levels, so any increasing change of contrast, brightness or
gamma leaves it unchanged, except where the change merges levels (a
compressed range, or an offset that clips at 0 or 255).
"""

import cv2
import numpy as np
from sklearn.base import _fit_context
from sklearn.utils.validation import check_is_fitted

from ._face import FaceTransformer, scale_intensities

__all__ = ["equalize_faces", "HistogramEqualization"]


def equalize_faces(faces):
    """Histogram-equalise each face on its own (``cv2.equalizeHist``).

    Parameters
    ----------
    faces : ndarray of shape (n, h, w)
        Intensities in 0..255 (uint8, or floats rounded to the nearest of
        the 256 levels).

    Returns
    -------
    equalised : ndarray of shape (n, h, w), uint8
        Each face's intensities spread over 0..255 by its own cumulative
        histogram.

    Examples
    --------
    >>> import numpy as np
    >>> face = np.array([[[100, 100], [110, 120]]], dtype=np.uint8)
    >>> equalize_faces(face)[0]
    array([[  0,   0],
           [128, 255]], dtype=uint8)
    >>> (equalize_faces(face // 2 + 60) == equalize_faces(face)).all()  # contrast and offset
    np.True_
    """
    faces = np.asarray(faces)
    if faces.dtype != np.uint8:
        faces = np.rint(np.clip(faces, 0, 255)).astype(np.uint8)
    faces = np.ascontiguousarray(faces)
    out = np.empty_like(faces)
    for i in range(len(faces)):
        cv2.equalizeHist(faces[i], dst=out[i])
    return out


class HistogramEqualization(FaceTransformer):
    """Histogram-equalise each face: the first step of every registry pipeline.

    Stateless: ``fit`` only checks the input. The output is the equalised
    faces, flattened, as uint8 in 0..255, which every feature extractor of
    :mod:`fer_classic.features` accepts.

    Parameters
    ----------
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

    Notes
    -----
    Input faces follow :func:`~fer_classic.utils.validation.check_faces`:
    integers in 0..255 (uint8) or floats in [0, 1] (scaled by 255 and
    rounded to the nearest level). Floats outside [0, 1] are refused: the
    equalisation works on the 256 grey levels, which they do not map to.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> faces = rng.integers(0, 256, (2, 48, 48)).astype(np.uint8)
    >>> dim = (faces // 3 + 40).astype(np.uint8)  # a third of the contrast, brighter
    >>> eq = HistogramEqualization().fit(faces)
    >>> eq.transform(faces).shape, eq.transform(faces).dtype
    ((2, 2304), dtype('uint8'))
    >>> float(np.abs(eq.transform(faces).astype(int) - eq.transform(dim)).mean()) < 3
    True
    """

    _parameter_constraints = {"image_shape": [tuple]}

    def __init__(self, *, image_shape=(48, 48)):
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the faces; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats in
            [0, 1].
        y : ignored

        Returns
        -------
        self : HistogramEqualization
        """
        self._check_faces(X, reset=True)
        return self

    def transform(self, X):
        """Equalised faces.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats in
            [0, 1].

        Returns
        -------
        faces : ndarray of shape (n, h * w), uint8
        """
        check_is_fitted(self, "n_features_in_")
        faces = equalize_faces(scale_intensities(self._check_faces(X, reset=False)))
        return faces.reshape(len(faces), -1)

    def get_feature_names_out(self, input_features=None):
        """Names ``pixel_{row}_{col}`` of the output pixels."""
        check_is_fitted(self, "n_features_in_")
        h, w = self.image_shape_
        return np.asarray([f"pixel_{r}_{c}" for r in range(h) for c in range(w)], dtype=object)
