"""Image files and arrays in and out: read, convert to gray, list, annotate, write.

The one concept here is the image as the predictor meets it, outside the
48x48 world of FER2013: :func:`read_image` decodes a file (any format OpenCV
reads, EXIF orientation applied) and :func:`to_grayscale` turns any image
array into 8-bit gray; :func:`iter_image_files` expands files and
directories into the image files to read; :func:`draw_predictions` draws
predicted boxes and labels on a copy of an image, and
:func:`annotation_path` and :func:`write_image` choose where that copy goes
and write it. Finding the faces is :mod:`fer_classic.detect`'s job,
classifying them :mod:`fer_classic.faces`'s. The bytes are decoded by
:func:`fer_classic.utils.images.decode_image_bytes`, shared with the FER2013
folder reader.

Examples
--------
>>> import numpy as np
>>> to_grayscale(np.zeros((4, 6, 3), dtype=np.uint8)).shape
(4, 6)
"""

import os
from pathlib import Path

import cv2
import numpy as np

from .utils.images import decode_image_bytes

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageReadError",
    "read_image",
    "to_grayscale",
    "iter_image_files",
    "draw_predictions",
    "annotation_path",
    "write_image",
]

#: File name endings picked up when a directory is given.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff",
                    ".webp", ".pgm", ".ppm", ".pbm", ".pnm", ".gif", ".jp2", ".avif")


class ImageReadError(OSError):
    """An image file is missing, unreadable or not an image; the message names it."""


# --------------------------------------------------------------------------
# reading and converting
# --------------------------------------------------------------------------


def read_image(path):
    """Decode an image file into an 8-bit BGR array (OpenCV's channel order).

    Any format OpenCV decodes (JPEG, PNG, BMP, TIFF, WebP, PNM, ...), any
    size, colour or gray, 8 or 16 bits; EXIF orientation is applied, alpha
    dropped.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    image : ndarray of shape (height, width, 3), dtype uint8, BGR
        Pass ``channels="bgr"`` when handing it to :func:`to_grayscale` or
        :meth:`~fer_classic.faces.ExpressionPredictor.predict_image`.

    Raises
    ------
    ImageReadError
        With the file name: missing, a directory, unreadable, empty, or not
        a decodable image.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = os.path.join(tmp, "gray.png")
    ...     write_image(Path(name), np.zeros((2, 3), dtype=np.uint8))
    ...     read_image(name).shape
    (2, 3, 3)
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ImageReadError(f"{name}: is a directory, not an image file.")
    try:
        buf = np.fromfile(name, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageReadError(f"{name}: no such file.") from None
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    image = decode_image_bytes(buf, cv2.IMREAD_COLOR)
    if image is None:
        what = "empty file" if buf.size == 0 else f"{buf.size} bytes"
        raise ImageReadError(f"{name}: not an image or an unsupported/corrupt format ({what}).")
    return image


def to_grayscale(image, *, channels="rgb"):
    """Convert an image array to 8-bit grayscale.

    Parameters
    ----------
    image : array-like of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4)
        uint8 (0..255); other integers holding 0..255; uint16 (0..65535);
        bool; or floats in 0..1 (scikit-image's convention) or 0..255.
        An alpha channel is ignored.
    channels : {"rgb", "bgr"}, default="rgb"
        Channel order of colour images: ``"rgb"`` for scikit-image, PIL and
        matplotlib arrays, ``"bgr"`` for OpenCV's.

    Returns
    -------
    gray : ndarray of shape (h, w), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> to_grayscale(np.full((2, 3, 3), 1.0)).tolist()
    [[255, 255, 255], [255, 255, 255]]
    """
    if channels not in ("rgb", "bgr"):
        raise ValueError(f"channels must be 'rgb' or 'bgr'; got {channels!r}.")
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"image must hold numbers; got dtype {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] in (1, 2):  # gray, gray + alpha
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise ValueError("image must have shape (height, width) or (height, width, 1|3|4 "
                         f"channels); got {arr.shape}.")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"image is empty (shape {arr.shape}).")
    arr = _to_uint8(arr)
    if arr.ndim == 3:
        code = cv2.COLOR_RGB2GRAY if channels == "rgb" else cv2.COLOR_BGR2GRAY
        arr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), code)
    return np.ascontiguousarray(arr)


def _to_uint8(arr):
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError("image contains NaN or infinity.")
    lo, hi = float(arr.min()), float(arr.max())
    if np.issubdtype(arr.dtype, np.floating):
        if lo >= 0 and hi <= 1:
            return np.round(arr * 255).astype(np.uint8)
        if lo >= 0 and hi <= 255:
            return np.round(arr).astype(np.uint8)
    elif lo >= 0 and hi <= 255:
        return arr.astype(np.uint8)
    elif arr.dtype == np.uint16:
        return np.round(arr / 257.0).astype(np.uint8)
    raise ValueError(f"image values must be in 0..1 (floats) or 0..255 (8-bit) or 0..65535 "
                     f"(uint16); got dtype {arr.dtype} with values {lo:g}..{hi:g}.")


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def iter_image_files(paths, *, recursive=False):
    """Expand files and directories into ``(path, error)`` pairs.

    Files are yielded as given (whatever their extension); directories
    yield their files with an :data:`IMAGE_EXTENSIONS` ending, sorted by
    name. ``error`` is a one-line message for a missing path or a directory
    without images, else ``None``.

    Parameters
    ----------
    paths : iterable of str or path-like
        Files and directories.
    recursive : bool, default=False
        Also list the image files of sub-directories.

    Yields
    ------
    path : pathlib.Path
    error : str or None

    Examples
    --------
    >>> [(str(path), error) for path, error in iter_image_files(["no-such-photo.jpg"])]
    [('no-such-photo.jpg', 'no-such-photo.jpg: no such file or directory.')]
    """
    for item in paths:
        path = Path(os.fspath(item))
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            files = sorted(p for p in path.glob(pattern)
                           if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
            if not files:
                yield path, (f"{path}: no image files ({', '.join(IMAGE_EXTENSIONS[:5])}, ...) "
                             "in this directory" + ("" if recursive else
                                                    " (use --recursive for sub-directories)")
                             + ".")
            for f in files:
                yield f, None
        elif path.exists():
            yield path, None
        else:
            yield path, f"{path}: no such file or directory."


# --------------------------------------------------------------------------
# drawing and writing annotated copies
# --------------------------------------------------------------------------


def draw_predictions(image, rows, *, color=(0, 200, 0)):
    """A copy of ``image`` with each row's box and ``label score`` drawn.

    Parameters
    ----------
    image : ndarray of shape (h, w) or (h, w, 3), dtype uint8
        BGR (as from :func:`read_image`) or gray.
    rows : list of FacePrediction
        :class:`fer_classic.faces.FacePrediction` rows (anything with ``box``,
        ``label`` and ``scores``); rows without a box are skipped.
    color : tuple of 3 int, default=(0, 200, 0)
        BGR colour of boxes and text background.

    Returns
    -------
    annotated : ndarray of shape (h, w, 3), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> from fer_classic.faces import FacePrediction
    >>> row = FacePrediction(file=None, box=(10, 20, 30, 30), label="Happy", label_id=3,
    ...                      scores={"Happy": 0.9, "Sad": 0.1})
    >>> out = draw_predictions(np.zeros((80, 60), dtype=np.uint8), [row])
    >>> out.shape, out[20, 10].tolist()
    ((80, 60, 3), [0, 200, 0])
    """
    out = np.asarray(image)
    out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR) if out.ndim == 2 else out[:, :, :3].copy()
    out = np.ascontiguousarray(out)
    h, w = out.shape[:2]
    thick = max(1, int(round(max(h, w) / 400)))
    font_scale = 0.45 * thick
    for row in rows:
        if row.box is None:
            continue
        x, y, bw, bh = row.box
        cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), color, thick)
        text = row.label if not row.scores else f"{row.label} {row.scores[row.label]:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        ty = y - base - thick if y - th - base - thick >= 0 else y + bh + th + thick
        cv2.rectangle(out, (x, ty - th - thick), (x + tw + thick, ty + base), color, cv2.FILLED)
        cv2.putText(out, text, (x + thick // 2, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
    return out


def annotation_path(directory, source, written):
    """Where the annotated copy of ``source`` goes in ``directory``.

    The same file name when OpenCV can write its format (else ``.png``, and
    always ``.png`` for GIFs); ``NAME-annotated``, ``NAME-annotated2``, ...
    when that name was already ``written`` in this run or is ``source``
    itself, which is never overwritten.

    Parameters
    ----------
    directory : pathlib.Path
    source : pathlib.Path
        The image file annotated.
    written : set of pathlib.Path
        Targets already written in this run.

    Returns
    -------
    target : pathlib.Path

    Examples
    --------
    >>> from pathlib import Path
    >>> annotation_path(Path("out"), Path("photos/a.jpg"), set()).as_posix()
    'out/a.jpg'
    >>> annotation_path(Path("out"), Path("more/a.jpg"), {Path("out/a.jpg")}).as_posix()
    'out/a-annotated.jpg'
    >>> annotation_path(Path("out"), Path("b.gif"), set()).as_posix()
    'out/b.png'
    """
    name = source.name
    target = directory / name
    stem, suffix = source.stem, source.suffix
    if not cv2.haveImageWriter(str(target)) or suffix.lower() == ".gif":
        suffix = ".png"
        target = directory / f"{stem}{suffix}"
    k = 1
    while target in written or (target.exists() and target.resolve() == source.resolve()):
        k += 1
        target = directory / f"{stem}-annotated{'' if k == 2 else k - 1}{suffix}"
    return target


def write_image(path, image):
    """Encode ``image`` in the format of ``path``'s suffix (PNG without one) and write it.

    Parent directories are created. Unlike ``cv2.imwrite``, any path the
    file system takes works (the bytes are written by NumPy).

    Parameters
    ----------
    path : pathlib.Path
    image : ndarray of shape (h, w) or (h, w, 3), dtype uint8
        Gray or BGR.

    Raises
    ------
    OSError
        If OpenCV fails to encode the image, or the file cannot be written.
    cv2.error
        If OpenCV has no encoder for that suffix.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "sub" / "a.png"
    ...     write_image(target, np.zeros((2, 2), dtype=np.uint8))
    ...     target.stat().st_size > 0
    True
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise OSError(f"OpenCV cannot encode {path.suffix} images")
    buf.tofile(str(path))
