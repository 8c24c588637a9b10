"""The image-folder reader: FER2013 as ``train/<emotion>/*.jpg`` and ``test/<emotion>/*.jpg``.

:func:`list_folder` lists and validates the images of a release (the label
from the emotion folder, the split from the file-name prefix) and
:func:`read_folder` decodes them into 48x48 uint8 faces. Both raise
:class:`~fer_classic.datasets.FER2013FormatError` on the first problem found.
"""

import os

import cv2
import numpy as np
from tqdm.auto import tqdm

from .. import EMOTIONS, FACE_SIZE, SPLITS
from ..utils.images import decode_image_bytes
from ._errors import FER2013FormatError

__all__ = ["EMOTION_INDEX", "FOLDER_SPLITS", "find_child", "list_folder", "read_folder"]

#: Top-level folders of an image-folder release, in reading order.
FOLDER_SPLITS = ("train", "test")
#: Label of each emotion folder name, lower-cased.
EMOTION_INDEX = {name.lower(): i for i, name in enumerate(EMOTIONS)}

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
_IGNORED_FILES = {"thumbs.db", "desktop.ini"}
_SPLIT_ID_BY_PREFIX = {name.lower(): i for i, name in enumerate(SPLITS)}


def find_child(directory, name):
    """Return the entry of ``directory`` called ``name`` ignoring case, or None."""
    exact = os.path.join(directory, name)
    if os.path.exists(exact):
        return exact
    try:
        for entry in os.listdir(directory):
            if entry.lower() == name.lower():
                return os.path.join(directory, entry)
    except OSError:
        pass
    return None


def list_folder(root):
    """List the images of an image-folder release, sorted and validated.

    Parameters
    ----------
    root : str
        Directory holding ``train/`` and/or ``test/`` (any case).

    Returns
    -------
    entries : list of tuple
        ``(split_index, label, name, relpath, size, mtime_ns, ctime_ns)`` per
        image, sorted by split, label and file name; ``relpath`` uses ``/``.

    Raises
    ------
    FER2013FormatError
        On an unknown emotion folder, a non-image file, a file name without a
        split prefix, no images at all or a split without images.
    """
    entries = []
    bad_prefix = []
    for top_name in FOLDER_SPLITS:
        top = find_child(root, top_name)
        if top is None or not os.path.isdir(top):
            continue
        top_rel = os.path.basename(top)
        with os.scandir(top) as it:
            emotion_dirs = sorted(it, key=lambda e: e.name)
        for emo in emotion_dirs:
            if emo.name.startswith("."):
                continue
            if not emo.is_dir():
                if emo.name.lower().endswith(_IMAGE_EXTENSIONS):
                    raise FER2013FormatError(
                        f"{emo.path}: image outside an emotion folder; expected "
                        f"{top_rel}/<emotion>/<file> with <emotion> one of "
                        f"{[e.lower() for e in EMOTIONS]}."
                    )
                continue  # e.g. a README next to the emotion folders
            label = EMOTION_INDEX.get(emo.name.lower())
            if label is None:
                raise FER2013FormatError(
                    f"{emo.path}: unknown emotion folder {top_rel}/{emo.name}; expected "
                    f"one of {[e.lower() for e in EMOTIONS]} (labels 0..6)."
                )
            rel_dir = f"{top_rel}/{emo.name}/"
            with os.scandir(emo.path) as it:
                files = list(it)
            for f in files:
                name = f.name
                lower = name.lower()
                if not lower.endswith(_IMAGE_EXTENSIONS) or not f.is_file():
                    if lower.startswith(".") or lower in _IGNORED_FILES:
                        continue
                    raise FER2013FormatError(
                        f"{f.path}: not an image file; expected only images "
                        f"({', '.join(_IMAGE_EXTENSIONS)}) in {top_rel}/{emo.name}."
                    )
                if lower.startswith("."):
                    continue
                split = _SPLIT_ID_BY_PREFIX.get(lower.partition("_")[0]) if "_" in name else None
                if split is None:
                    bad_prefix.append(f.path)
                    continue
                st = f.stat()
                entries.append((split, label, name, rel_dir + name, st.st_size, st.st_mtime_ns,
                                st.st_ctime_ns))
    if bad_prefix:
        more = f" (and {len(bad_prefix) - 1} more such files)" if len(bad_prefix) > 1 else ""
        raise FER2013FormatError(
            f"{sorted(bad_prefix)[0]}: file name has no known split prefix{more}; expected "
            "names like Training_<id>.jpg, PublicTest_<id>.jpg or PrivateTest_<id>.jpg, "
            "the prefix giving the challenge split."
        )
    if not entries:
        raise FER2013FormatError(
            f"{root}: no images found; expected train/<emotion>/Training_<id>.jpg and "
            "test/<emotion>/{PublicTest,PrivateTest}_<id>.jpg."
        )
    entries.sort()  # by split, label, file name, relative path
    present = {e[0] for e in entries}
    for i, name in enumerate(SPLITS):
        if i not in present:
            where = "train/" if name == "Training" else "test/"
            raise FER2013FormatError(
                f"{root}: split {name!r} has no images; expected {where}<emotion>/{name}_<id>"
                ".jpg files (every FER2013 split must be present)."
            )
    return entries


def _to_face(img, where, resize):
    """Check (or with ``resize`` convert) a decoded image to a 48x48 uint8 face."""
    if img.dtype != np.uint8:
        raise FER2013FormatError(
            f"{where}: image has dtype {img.dtype} ({img.dtype.itemsize * 8}-bit); expected "
            "8-bit grayscale."
        )
    if img.ndim == 3:
        channels = img.shape[2]
        if channels in (2, 4):  # drop the alpha channel
            img = img[:, :, : channels - 1]
            channels -= 1
        if channels == 1:
            img = img[:, :, 0]
        elif channels == 3:
            if (img[:, :, 0] == img[:, :, 1]).all() and (img[:, :, 0] == img[:, :, 2]).all():
                img = img[:, :, 0]  # gray stored as three equal channels
            elif resize:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            else:
                raise FER2013FormatError(
                    f"{where}: colour image ({img.shape[1]}x{img.shape[0]}, 3 channels that "
                    "differ); FER2013 faces are 8-bit grayscale. Pass resize=True to "
                    "convert colour images to grayscale."
                )
    if img.ndim != 2:
        raise FER2013FormatError(
            f"{where}: image has shape {img.shape}; expected a 48x48 grayscale image."
        )
    if img.shape != (FACE_SIZE, FACE_SIZE):
        if not resize:
            raise FER2013FormatError(
                f"{where}: image is {img.shape[1]}x{img.shape[0]} pixels (width x height); "
                "expected 48x48. Pass resize=True to resize it (cv2.INTER_AREA)."
            )
        img = cv2.resize(img, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    return img


def _decode_image(filename, resize):
    """Read and decode one image file into a 48x48 uint8 face (see :func:`_to_face`)."""
    try:
        buf = np.fromfile(filename, dtype=np.uint8)
    except OSError as exc:
        raise FER2013FormatError(f"{filename}: could not read the file ({exc}).") from None
    img = decode_image_bytes(buf, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FER2013FormatError(
            f"{filename}: could not decode the image ({buf.size} bytes; empty, truncated, "
            "corrupt or not an image)."
        )
    return _to_face(img, filename, resize)


def read_folder(root, entries, resize, verbose):
    """Decode the images listed by :func:`list_folder`.

    Parameters
    ----------
    root : str
        The directory given to :func:`list_folder`.
    entries : list of tuple
        Its result.
    resize : bool
        Convert colour images to grayscale and resize images that are not
        48x48, instead of refusing them.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    images : ndarray of shape (n, 48, 48), dtype uint8
    target : ndarray of shape (n,), dtype int64
    split : ndarray of shape (n,), dtype str
    ids : ndarray of shape (n,), dtype str
        Path of each image relative to ``root``, with ``/`` separators.
    """
    n = len(entries)
    images = np.empty((n, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    for i, entry in enumerate(
        tqdm(entries, desc="Decoding FER2013 images", unit="img", disable=not verbose,
             mininterval=0.5)
    ):
        images[i] = _decode_image(os.path.join(root, *entry[3].split("/")), resize)
    target = np.array([e[1] for e in entries], dtype=np.int64)
    split = np.array([SPLITS[e[0]] for e in entries])
    ids = np.array([e[3] for e in entries])
    return images, target, split, ids
