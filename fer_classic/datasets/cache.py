"""On-disk cache of decoded arrays, kept in a per-user cache directory.

The cache never lives next to the data: it goes to :func:`get_cache_dir`.
Files are plain uncompressed ``.npz`` archives (fast to write and read, no
pickles), written atomically so that an interrupted run never leaves a
half-written file under the final name. A cache file that cannot be read is
reported as missing, so callers simply rebuild it.
"""

import hashlib
import os
import zipfile

import numpy as np

from ..utils.fileio import atomic_write
from ..utils.paths import get_cache_dir

__all__ = ["get_cache_dir", "hash_strings", "save_arrays", "load_arrays"]


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
