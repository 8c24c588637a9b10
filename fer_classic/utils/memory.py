"""Calls through a :class:`joblib.Memory` cache that a damaged entry cannot break.

A cache is disposable. joblib already recomputes a result whose file it
cannot read, but it logs the whole traceback; and a damaged record of the
cached function's code (``func_code.py``, read by every call of that
function in a new process) raises out of every call. :func:`cached_call`
reports either as one warning line and recomputes.
"""

import logging
import warnings
from pathlib import Path

__all__ = ["CacheWarning", "cached_call"]


class CacheWarning(UserWarning):
    """A cache entry could not be read and is rebuilt."""


class _OneLine(logging.Filter):
    """Turn joblib's multi-line "Exception while loading results" log into one warning."""

    def __init__(self, name):
        super().__init__()
        self.name_ = name

    def filter(self, record):
        message = record.getMessage()
        if "Exception while loading results" not in message:
            return True
        last = [line for line in message.splitlines() if line.strip()][-1].strip()
        warnings.warn(f"{self.name_}: a cache entry could not be read ({last}); recomputing it",
                      CacheWarning, stacklevel=2)
        return False


def cached_call(memory, func, *args, ignore=None):
    """``func(*args)`` through ``memory``; an unreadable cache entry is rebuilt.

    Parameters
    ----------
    memory : joblib.Memory
    func : callable
    *args
        Its positional arguments.
    ignore : list of str, optional
        Arguments left out of the cache key (:meth:`joblib.Memory.cache`).

    Returns
    -------
    result
        ``func(*args)``, read from the cache when a readable entry is there.

    Examples
    --------
    >>> import tempfile
    >>> from joblib import Memory
    >>> with tempfile.TemporaryDirectory() as d:
    ...     cached_call(Memory(d, verbose=0), abs, -2)
    2
    """
    if memory.location is None:  # Memory(None) caches nothing
        return func(*args)
    cached = memory.cache(func, ignore=ignore)
    name = getattr(func, "__name__", "cache")
    try:
        cached.check_call_in_cache(*args)
    except Exception as exc:  # an unreadable record of the function's code
        code_file = Path(cached.store_backend.location, cached.func_id, "func_code.py")
        warnings.warn(f"{name}: the cache's record of the function in {code_file.parent} "
                      f"could not be read ({type(exc).__name__}); rebuilding it",
                      CacheWarning, stacklevel=2)
        code_file.unlink(missing_ok=True)
        cached = memory.cache(func, ignore=ignore)
    one_line = _OneLine(name)
    joblib_log = logging.getLogger("joblib")  # where joblib's Memory logs
    joblib_log.addFilter(one_line)
    try:
        return cached(*args)
    finally:
        joblib_log.removeFilter(one_line)
