"""Release the memory that reading a memory-mapped matrix took.

The bench reads large feature matrices from its cache memory-mapped
(:func:`numpy.load` with ``mmap_mode='r'``): a page of the file enters the
process's resident memory when it is first read, and stays there while
the file is mapped, so that one pass over the Training Fisher vectors
(3.9 GB) makes the process as large as if it held them. The file's pages
are also in the operating system's page cache, which keeps them while
memory is free and reads them from disk again when it is not.

:func:`release` tells the system that the process is done with some rows
for now (``madvise(MADV_DONTNEED)``): they leave its resident memory, and a
later read finds them in the page cache (or on disk). The code that streams
over a matrix (:func:`~fer_classic.utils.blockwise.row_blocks`, the
solvers, local learning) calls it after each block, so that the resident
memory of a pass is a few blocks, not the matrix. For arrays in memory, and
where the system has no ``madvise``, it does nothing.

A read maps more than the bytes read: Linux maps the page cache's memory
in large folios, so that a few thousand scattered rows of the Training
Fisher vectors map most of the file. Code that gathers scattered rows
therefore releases the whole matrix after each gather (one system call)
rather than the rows it read.
"""

import mmap

import numpy as np
from numpy.lib.array_utils import byte_bounds

__all__ = ["mapping_of", "release"]

_PAGE = mmap.PAGESIZE
_CAN_RELEASE = hasattr(mmap, "MADV_DONTNEED") and hasattr(mmap.mmap, "madvise")


def mapping_of(X):
    """The :class:`mmap.mmap` whose memory ``X`` views, or None.

    Parameters
    ----------
    X : object
        An array (a :class:`numpy.memmap`, a view of one, or anything else).

    Returns
    -------
    mapping : mmap.mmap or None

    Examples
    --------
    >>> import numpy as np
    >>> mapping_of(np.zeros(3)) is None
    True
    """
    base = X
    for _ in range(64):  # views of views: a short chain
        if isinstance(base, mmap.mmap):
            return base
        base = getattr(base, "base", None)
        if base is None:
            return None
    return None


def _address(mapping):
    """The address of a mapping's first byte (read-only mappings too)."""
    return np.frombuffer(mapping, dtype=np.uint8, count=1).ctypes.data


def _runs(rows):
    """``(first, stop)`` of each run of consecutive integers in sorted unique ``rows``."""
    rows = np.unique(np.asarray(rows, dtype=np.intp))
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = rows[np.r_[0, breaks]]
    stops = rows[np.r_[breaks - 1, rows.size - 1]] + 1
    return list(zip(starts.tolist(), stops.tolist()))


def release(X, rows=None):
    """Drop the pages of ``X`` (or of some of its rows) from resident memory, if mapped.

    The values are not changed: a later read maps the pages again from the
    page cache or the file. Pages shared with rows next to the released ones
    are released too (they come back as well when read).

    Parameters
    ----------
    X : ndarray
        A C-contiguous view of a read-only memory-mapped file (as
        :func:`numpy.load` with ``mmap_mode='r'`` gives), or any other
        object, for which nothing is done.
    rows : array-like of int or slice, optional
        Rows (along the first axis) to release; all of ``X`` when None.

    Returns
    -------
    released : bool
        Whether pages were released (False for arrays in memory).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.save(os.path.join(d, "x.npy"), np.arange(12.0).reshape(3, 4))
    ...     X = np.load(os.path.join(d, "x.npy"), mmap_mode="r")
    ...     total = float(X.sum())
    ...     _ = release(X)
    ...     again = float(X.sum())
    ...     del X
    >>> total == again
    True
    >>> release(np.zeros(3))
    False
    """
    mapping = mapping_of(X)
    if mapping is None or not _CAN_RELEASE or not isinstance(X, np.ndarray) or X.size == 0:
        return False
    base = _address(mapping)
    if rows is None or not X.flags.c_contiguous:  # the whole span of the view
        low, high = byte_bounds(X)
        spans = [(low - base, high - base)]
    else:
        if isinstance(rows, slice):
            rows = np.arange(X.shape[0])[rows]
        start, row_bytes = X.ctypes.data - base, X.strides[0]
        spans = [(start + a * row_bytes, start + b * row_bytes) for a, b in _runs(rows)]
    size = len(mapping)
    for a, b in spans:
        a = max(0, (a // _PAGE) * _PAGE)
        b = min(size, b)
        if b > a:
            mapping.madvise(mmap.MADV_DONTNEED, a, b - a)
    return True
