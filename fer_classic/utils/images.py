"""Decoding image files with OpenCV: the step every reader of image files shares.

Two readers decode image files, by different rules on purpose:
:func:`fer_classic.images.read_image` takes any image for prediction and
decodes it to 8-bit BGR (``cv2.IMREAD_COLOR``: 16-bit, gray and alpha are
converted), while the FER2013 folder reader
(``fer_classic.datasets.load_fer2013``) keeps the file as stored
(``cv2.IMREAD_UNCHANGED``) so that it can refuse what is not an 8-bit
grayscale 48x48 face unless asked to convert it. They share
:func:`decode_image_bytes`; each words its own errors.
"""

import cv2

__all__ = ["decode_image_bytes"]


def decode_image_bytes(buf, flags):
    """``cv2.imdecode(buf, flags)``, or None when ``buf`` is empty or not a decodable image.

    Parameters
    ----------
    buf : ndarray of uint8
        The bytes of an image file (e.g. ``np.fromfile(name, dtype=np.uint8)``).
    flags : int
        OpenCV's ``cv2.IMREAD_*`` flags.

    Returns
    -------
    image : ndarray or None

    Examples
    --------
    >>> import cv2, numpy as np
    >>> ok, png = cv2.imencode(".png", np.zeros((2, 3), dtype=np.uint8))
    >>> decode_image_bytes(png, cv2.IMREAD_UNCHANGED).shape
    (2, 3)
    >>> decode_image_bytes(np.zeros(0, dtype=np.uint8), cv2.IMREAD_COLOR) is None
    True
    """
    if not buf.size:
        return None
    try:
        return cv2.imdecode(buf, flags)
    except cv2.error:
        return None
