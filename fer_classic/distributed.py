"""Run the bench's parallel work on a Dask cluster (optional ``dask`` extra).

fer_classic parallelises with joblib: the grid candidates of
:func:`fer_classic.protocol.run_protocol` and the per-sample fits of
:class:`fer_classic.models.local.LocalLearningClassifier`. Inside
:func:`dask_backend` those joblib calls run on the workers of a
``dask.distributed`` cluster through joblib's Dask backend, instead of local
processes. Feature extraction stays on the client, is cached as usual, and
each feature matrix is sent to every worker once (:func:`scatter_arrays`)
instead of once per task. Results are identical to a local run with the same
seed: only where the work runs changes.

Dask is optional: ``pip install "fer_classic[dask]"``. It is imported only
when one of these functions is called, and a missing installation is a clear
:class:`ImportError` saying what to install.

From the command line::

    dask scheduler                       # on one machine (prints its address)
    dask worker tcp://HOST:8786          # on each worker machine
    python -m fer_classic.bench --scheduler tcp://HOST:8786

Examples
--------
>>> from fer_classic.distributed import dask_backend      # doctest: +SKIP
>>> from fer_classic.runner import run_benchmark          # doctest: +SKIP
>>> with dask_backend("tcp://127.0.0.1:8786"):            # doctest: +SKIP
...     run_benchmark(["hog-linearsvm"], data, "bench-out")
>>> run_benchmark(["hog-linearsvm"], data, "bench-out",   # doctest: +SKIP
...               scheduler="tcp://127.0.0.1:8786")
"""

import socket
from contextlib import contextmanager, nullcontext

import joblib

from .utils.progress import log

__all__ = ["require_dask", "check_scheduler", "dask_backend", "scatter_arrays", "DEFAULT_TIMEOUT"]

#: Seconds allowed for the first connection to the scheduler.
DEFAULT_TIMEOUT = 10.0

_INSTALL_HINT = 'pip install "fer_classic[dask]"  (or: pip install "dask[distributed]")'


def require_dask():
    """Import and return :mod:`dask.distributed`, or raise a clear ImportError.

    Returns
    -------
    module
        The ``distributed`` package.

    Raises
    ------
    ImportError
        If dask or distributed is not installed; the message gives the
        command that installs them.

    Examples
    --------
    >>> distributed = require_dask()  # doctest: +SKIP
    """
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        raise ImportError(
            f"running on a Dask cluster needs dask.distributed, which could not be imported "
            f"({exc}); install it with: {_INSTALL_HINT}"
        ) from None
    return distributed


def check_scheduler(address, *, timeout=DEFAULT_TIMEOUT):
    """Check that dask is installed and ``address`` names a reachable scheduler.

    Cheap (no Dask client is created): the command line calls it before
    loading any data. For ``tcp://`` addresses a plain socket connection
    tells at once whether the host resolves and the port is open (a Dask
    client would keep retrying a refused connection until its timeout);
    other schemes are only parsed.

    Parameters
    ----------
    address : str
        ``"tcp://HOST:PORT"`` or ``"HOST:PORT"``.
    timeout : float, default=10
        Seconds allowed for the connection.

    Returns
    -------
    address : str
        The address, stripped of surrounding whitespace.

    Raises
    ------
    ImportError
        If dask / distributed are not installed.
    ValueError
        If ``address`` is not a scheduler address.
    ConnectionError
        If nothing accepts connections at ``address``.
    """
    distributed = require_dask()
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"invalid Dask scheduler address {address!r}; expected e.g. "
                         "tcp://HOST:8786")
    address = address.strip()
    try:
        scheme, loc = distributed.comm.parse_address(address)
        distributed.comm.registry.get_backend(scheme)  # unknown schemes raise ValueError
        if scheme != "tcp":
            return address
        host, port = distributed.comm.parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"invalid Dask scheduler address {address!r} ({exc}); expected e.g. "
            "tcp://HOST:8786"
        ) from None
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConnectionError(
            f"could not connect to the Dask scheduler at {address!r}: {reason}; "
            "is `dask scheduler` running there?"
        ) from None
    return address


@contextmanager
def dask_backend(scheduler=None, *, timeout=DEFAULT_TIMEOUT, verbose=True):
    """Run fer_classic's joblib work on a ``dask.distributed`` cluster.

    Inside the ``with`` block, joblib's default backend is Dask
    (``joblib.parallel_config(backend="dask")``) on a client connected to
    ``scheduler``; the grid searches of
    :func:`~fer_classic.protocol.run_protocol` and local-learning
    predictions run on the cluster's workers. ``n_jobs`` arguments are
    ignored by the Dask backend: every worker thread is used. The workers
    need the same fer_classic, scikit-learn and NumPy as the client.

    Parameters
    ----------
    scheduler : str, distributed.Client, distributed.deploy.Cluster or None
        Scheduler address (``"tcp://HOST:8786"``, ``"HOST:8786"``), an open
        client (used as is and left open), a cluster object such as a
        ``LocalCluster``, or ``None`` for the current default client.
    timeout : float, default=10
        Seconds allowed for connecting to the scheduler.
    verbose : bool, default=True
        Log the cluster's size on stderr.

    Yields
    ------
    client : distributed.Client

    Raises
    ------
    ImportError
        If dask / distributed are not installed.
    ValueError
        If ``scheduler`` is not a valid address, or is None without a
        default client.
    ConnectionError
        If the scheduler cannot be reached.

    Examples
    --------
    >>> from dask.distributed import LocalCluster                 # doctest: +SKIP
    >>> with LocalCluster(n_workers=2) as cluster:                # doctest: +SKIP
    ...     with dask_backend(cluster.scheduler_address) as client:
    ...         result = run_protocol(pipe, grid, splits)
    """
    distributed = require_dask()
    own = False
    if isinstance(scheduler, distributed.Client):
        client = scheduler
    elif scheduler is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise ValueError("no Dask scheduler given and no default Dask client; pass the "
                             "scheduler address, e.g. tcp://HOST:8786") from None
    else:
        if isinstance(scheduler, str):
            address = check_scheduler(scheduler, timeout=timeout)
        else:
            address = scheduler  # a Cluster object
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except OSError as exc:
            raise ConnectionError(
                f"could not connect to the Dask scheduler at {scheduler!r}: {exc}"
            ) from None
        own = True
    try:
        if verbose:
            threads = client.nthreads()
            log(f"[dask] scheduler {client.scheduler.address}: {len(threads)} worker(s), "
                f"{sum(threads.values())} thread(s)")
        with joblib.parallel_config(backend="dask", client=client):
            yield client
    finally:
        if own:
            client.close()


def _active_dask_client():
    """The Client of the active joblib Dask backend, or None (never imports dask)."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if type(backend).__module__ != "joblib._dask":
        return None
    import distributed

    try:
        distributed.get_worker()
    except ValueError:
        return backend.client
    return None  # already inside a task on a worker: do not scatter from there


def scatter_arrays(*arrays):
    """Context in which joblib ships ``arrays`` to Dask workers once, not per task.

    Under an active joblib Dask backend (see :func:`dask_backend`), returns
    a ``joblib.parallel_config`` that broadcasts ``arrays`` to every worker
    when entered; a :class:`joblib.Parallel` *created* inside it then sends
    each task a reference to those copies wherever the very same objects
    appear among the task's arguments. Otherwise it is a no-op context.

    Parameters
    ----------
    *arrays : objects
        Typically feature matrices and labels shared by all tasks.

    Returns
    -------
    context manager

    Examples
    --------
    >>> import numpy as np
    >>> from joblib import Parallel, delayed
    >>> F = np.ones((100, 10))
    >>> with scatter_arrays(F):  # no Dask backend active: nothing happens
    ...     Parallel(n_jobs=1)(delayed(np.sum)(F) for _ in range(2))
    [np.float64(1000.0), np.float64(1000.0)]
    """
    client = _active_dask_client()
    if client is None:
        return nullcontext()
    return joblib.parallel_config(backend="dask", client=client, scatter=list(arrays))
