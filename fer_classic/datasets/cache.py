"""On-disk cache of decoded arrays, kept in a per-user cache directory.

The cache never lives next to the data: it goes to :func:`get_cache_dir`.
Files are plain uncompressed ``.npz`` archives (fast to write and read, no
pickles), written atomically so that an interrupted run never leaves a
half-written file under the final name. A cache file that cannot be read is
reported as missing, so callers simply rebuild it.

The FER2013 cache of :func:`~fer_classic.datasets.load_fer2013` is built on
these: :func:`source_stamp` and :func:`cache_files` name a cache file after
the data source and its state on disk, :func:`read_cache` returns its arrays
if they are still valid and :func:`write_cache` stores them and removes the
older files of the same source.
"""

import glob
import hashlib
import os
import zipfile

import numpy as np

from ..utils.fileio import atomic_write
from ..utils.paths import get_cache_dir

__all__ = ["get_cache_dir", "hash_strings", "save_arrays", "load_arrays", "source_stamp",
           "cache_files", "read_cache", "write_cache"]

#: Bumped whenever the cached FER2013 representation or the decoding changes.
_CACHE_VERSION = "1"


def hash_strings(parts):
    """Hex blake2b digest (40 hex digits) of an iterable of strings."""
    text = "\x00".join(str(part) for part in parts) + "\x00"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def save_arrays(filename, **arrays):
    """Write ``arrays`` to ``filename`` as an uncompressed ``.npz``, atomically.

    The archive is written to a temporary file in the same directory and then
    moved into place with :func:`os.replace`, so readers see either the old
    file or the complete new one. Parent directories are created.

    Parameters
    ----------
    filename : str or path-like
        Destination, normally inside :func:`get_cache_dir`.
    **arrays : array-like
        Arrays to store; none may need pickling (no object arrays).
    """
    with atomic_write(filename, "wb") as fh:
        np.savez(fh, **arrays)


def load_arrays(filename):
    """Read a cache archive written by :func:`save_arrays`.

    Returns
    -------
    arrays : dict of str to ndarray, or None
        ``None`` if the file is missing, truncated, corrupt, or holds object
        arrays; callers then rebuild the cache instead of failing.
    """
    try:
        with np.load(os.fspath(filename), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
    except Exception:  # any other sign of a damaged archive: treat as a miss
        return None


# --------------------------------------------------------------------------
# the FER2013 cache files
# --------------------------------------------------------------------------


def source_stamp(kind, path, entries):
    """Text that changes whenever FER2013 data on disk may have changed.

    Parameters
    ----------
    kind : {'csv', 'folder'}
        Kind of source.
    path : str
        The CSV file (``kind='csv'``).
    entries : list of tuple or None
        For ``kind='folder'``, the image listing of
        :func:`fer_classic.datasets._folder.list_folder`; its relative paths,
        sizes, modification and status-change times are hashed.

    Returns
    -------
    stamp : str
    """
    if kind == "csv":
        st = os.stat(path)
        # ctime too: copying with `cp -p` or `rsync -t` keeps size and mtime
        return f"csv {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
    return hash_strings(f"{e[3]}\t{e[4]}\t{e[5]}\t{e[6]}" for e in entries)


def cache_files(kind, path, resize, stamp, cache_dir):
    """Return (cache file, glob of older versions for this source, key).

    The file name is ``fer2013-<kind>-<source hash>-<key>.npz``: the source
    hash covers the resolved path, ``resize`` and the cache version, the key
    adds ``stamp``.
    """
    source_hash = hash_strings(["fer2013", _CACHE_VERSION, kind, os.path.realpath(path), resize])
    key = hash_strings([source_hash, stamp])
    directory = get_cache_dir(cache_dir)
    prefix = f"fer2013-{kind}-{source_hash[:12]}-"
    return os.path.join(directory, f"{prefix}{key[:16]}.npz"), os.path.join(
        directory, f"{prefix}*.npz"), key


def read_cache(filename, key):
    """Return ``(images, target, split, ids)`` of a cache file, or None if it is unusable.

    A file that cannot be read, was written under another ``key`` or lacks
    an array counts as unusable.
    """
    arrays = load_arrays(filename)
    if arrays is None:
        return None
    try:
        if str(arrays["key"]) != key:
            return None
        images = arrays["images"]
        if images.dtype != np.uint8 or images.ndim != 3 or len(images) == 0:
            return None
        return images, arrays["target"], arrays["split"], arrays["ids"]
    except (KeyError, ValueError, TypeError):
        return None


def write_cache(filename, stale_glob, key, images, target, split, ids):
    """Store decoded FER2013 arrays under ``key`` and delete older files of the source.

    Parameters
    ----------
    filename, stale_glob, key : str
        As returned by :func:`cache_files`.
    images, target, split, ids : ndarray
        The arrays of a :class:`~fer_classic.datasets.FER2013`.

    Raises
    ------
    OSError
        If the file cannot be written (old files that cannot be deleted are
        left in place silently).
    """
    save_arrays(filename, images=images, target=target, split=split, ids=ids,
                key=np.array(key))
    for old in glob.glob(stale_glob):
        if os.path.abspath(old) != os.path.abspath(filename):
            try:
                os.unlink(old)
            except OSError:
                pass
