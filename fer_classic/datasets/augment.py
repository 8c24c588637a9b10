"""Training-set augmentation for faces.

Facial expressions are close to left-right symmetric, so a mirrored face
keeps its label: mirroring the Training faces doubles the data a classifier
learns from at the cost of one more feature extraction.
"""

import numpy as np

from .. import FACE_SIZE

__all__ = ["mirror_faces"]


def mirror_faces(X, image_shape=(FACE_SIZE, FACE_SIZE)):
    """Left-right mirrored copies of faces.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Faces, as images or flattened row-major.
    image_shape : tuple of int, default=(48, 48)
        ``(h, w)`` of flattened faces.

    Returns
    -------
    mirrored : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> mirror_faces(np.arange(6).reshape(1, 2, 3))
    array([[[2, 1, 0],
            [5, 4, 3]]])
    """
    X = np.asarray(X)
    if X.ndim == 3:
        return np.ascontiguousarray(X[:, :, ::-1])
    h, w = image_shape
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(f"faces must be an array of shape (n, {h}, {w}) or (n, {h * w}); "
                         f"got shape {X.shape}.")
    return np.ascontiguousarray(X.reshape(len(X), h, w)[:, :, ::-1]).reshape(len(X), h * w)
