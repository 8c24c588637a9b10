"""Where fer_classic keeps its files: the user's cache directory (standard library only).

Light on purpose: the command-line parsers show these paths in their help
without importing NumPy or scikit-learn.
"""

import os
from pathlib import Path

__all__ = ["get_cache_dir", "model_dir"]


def get_cache_dir(cache_dir=None):
    """Return the directory where fer_classic caches decoded data.

    The directory is chosen, in order, from the ``cache_dir`` argument, the
    ``FER_CLASSIC_CACHE`` environment variable, ``$XDG_CACHE_HOME/fer_classic``
    and ``~/.cache/fer_classic``. It is not created here; writers create it
    when they first store something.

    Parameters
    ----------
    cache_dir : str or path-like, default=None
        Explicit directory; ``~`` is expanded.

    Returns
    -------
    cache_dir : pathlib.Path
        Absolute path of the cache directory.

    Examples
    --------
    >>> get_cache_dir("~/my_cache").name
    'my_cache'
    """
    if cache_dir is None:
        cache_dir = os.environ.get("FER_CLASSIC_CACHE") or None
    if cache_dir is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or None
        base = xdg if xdg is not None else os.path.join("~", ".cache")
        cache_dir = os.path.join(base, "fer_classic")
    return Path(os.path.abspath(os.path.expanduser(os.fspath(cache_dir))))


def model_dir():
    """Where ``python -m fer_classic.predict`` looks for a model: ``get_cache_dir() / "models"``.

    Examples
    --------
    >>> model_dir().name
    'models'
    """
    return get_cache_dir() / "models"
