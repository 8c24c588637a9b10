"""Numba as an optional backend: whether it is installed, and safe first calls.

The compiled kernels of :mod:`fer_classic.features` (``_*_kernels.py``) are
Numba functions with ``cache=True``: the first process compiles them and
writes the machine code to Numba's cache, the next ones load it. Numba's
cache is not safe for processes that compile at the same moment (the
workers of one bench run do): each one reads the cache's index, picks the
next free file name and writes the index and the file, so two processes
can write their code under one name and leave an index entry that points at
the other's code. Loading that entry runs a kernel of another signature
(seen here: float32 descriptors written into a uint8 buffer, "double free
or corruption"). :func:`call` therefore compiles every new signature while
holding a lock file shared by this user's processes, and rebuilds a
damaged cache entry (garbled, truncated or foreign index or code files) with
one warning line instead of failing.
"""

import contextlib
import functools
import importlib
import importlib.util
import os
import sys
import tempfile

__all__ = ["have_numba", "resolve_backend", "import_kernels", "call", "compile_lock"]


def have_numba():
    """Whether Numba is installed (without importing it).

    Examples
    --------
    >>> isinstance(have_numba(), bool)
    True
    """
    return importlib.util.find_spec("numba") is not None


def resolve_backend(backend):
    """``'numba'`` or ``'numpy'`` for a ``backend`` parameter.

    Parameters
    ----------
    backend : {'auto', 'numba', 'numpy'}
        ``'auto'`` is ``'numba'`` when Numba is installed, else ``'numpy'``.

    Returns
    -------
    backend : {'numba', 'numpy'}

    Examples
    --------
    >>> resolve_backend("numpy")
    'numpy'
    """
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy'; got {backend!r}.")
    if backend == "auto":
        return "numba" if have_numba() else "numpy"
    if backend == "numba" and not have_numba():
        raise ValueError("backend='numba' needs the numba package, which is not installed "
                         "(pip install numba); use backend='auto' or 'numpy'.")
    return backend


@functools.lru_cache(maxsize=None)
def import_kernels(module):
    """Import a kernel module by its absolute name, once (Numba loads on first use).

    Examples
    --------
    >>> import_kernels("fer_classic.features._hog_kernels").__name__  # doctest: +SKIP
    'fer_classic.features._hog_kernels'
    """
    return importlib.import_module(module)


def _lock_path():
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"fer_classic-numba-{user}.lock")


@contextlib.contextmanager
def compile_lock():
    """Hold the lock file that serialises Numba compilations between processes.

    Where ``fcntl`` is missing (Windows) it holds nothing.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(_lock_path(), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def call(kernel, *args):
    """``kernel(*args)``; a signature not yet compiled here compiles under :func:`compile_lock`.

    Parameters
    ----------
    kernel : numba dispatcher
    *args
        The kernel's arguments.

    Returns
    -------
    result
        What the kernel returns.
    """
    import numba

    signature = tuple(numba.typeof(a) for a in args)
    if signature in kernel.overloads:
        return kernel(*args)
    with compile_lock():
        seen = set()
        while True:
            try:
                return kernel(*args)
            except Exception as exc:
                index = _damaged_cache_index(exc)
                if index is None or index in seen:
                    raise
                seen.add(index)
                print(f"fer_classic: warning: damaged Numba cache entry {index} "
                      f"({type(exc).__name__}: {exc}); recompiling it", file=sys.stderr)
                # without its index, Numba forgets the damaged files, compiles
                # again and writes its code under new names
                with contextlib.suppress(FileNotFoundError):
                    os.remove(index)


def _damaged_cache_index(exc):
    """The index file of Numba's on-disk cache that raised ``exc``, else ``None``.

    A kernel that calls other kernels compiles them first, so the damaged
    entry may belong to any of them: the index is the one of the innermost
    cache reader in the traceback (``numba/core/caching.py``).
    """
    index, tb = None, exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.replace("\\", "/").endswith("numba/core/caching.py"):
            index = getattr(frame.f_locals.get("self"), "_index_path", index)
        tb = tb.tb_next
    return index
