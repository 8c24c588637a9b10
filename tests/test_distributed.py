"""The bench on a real Dask cluster (loopback), and parallel determinism.

The cluster tests start a ``LocalCluster`` with two worker processes on
127.0.0.1 and are skipped when dask.distributed is not installed (the
``test`` extra installs it).
"""

import json
import socket
import sys

import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from fer_classic.bench import main
from fer_classic.datasets import make_synthetic_faces
from fer_classic.distributed import check_scheduler, require_dask, scatter_arrays
from fer_classic.features import HOG, LBP
from fer_classic.models.local import LocalLearningClassifier
from fer_classic.protocol import run_protocol
from fer_classic.registry import PipelineSpec, register, unregister
from fer_classic.report import strip_timings

# Two fast pipelines with two grid candidates each: a forest (seeded) and
# local learning, whose per-sample fits are joblib tasks of their own.
FOREST, LOCAL = "test-dask-lbp-forest", "test-dask-hog-local"


def _forest(rs):
    return Pipeline([("lbp", LBP(grid_shape=(4, 4))),
                     ("forest", RandomForestClassifier(n_estimators=20, n_jobs=1,
                                                       random_state=rs))])


def _local(rs):
    # a ridge classifier per neighbourhood: 3x faster than the default local SVM
    return Pipeline([("hog", HOG(pixels_per_cell=(12, 12))),
                     ("local", LocalLearningClassifier(n_neighbors=20,
                                                       estimator=RidgeClassifier()))])


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("FER2013_PATH", raising=False)
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))
    # one BLAS thread: on a busy 2-core machine multi-threaded BLAS spins and
    # runs many times slower (Dask and loky workers use one thread anyway)
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def specs():
    grid_f = {"forest__max_depth": [3, 6]}
    grid_l = {"local__n_neighbors": [10, 25]}
    register(PipelineSpec(FOREST, _forest, grid=grid_f, quick_grid=grid_f), overwrite=True)
    register(PipelineSpec(LOCAL, _local, grid=grid_l, quick_grid=grid_l), overwrite=True)
    yield [FOREST, LOCAL]
    unregister(FOREST)
    unregister(LOCAL)


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cl:
        yield cl
    assert cl.status.name == "closed"


def _results(out):
    return strip_timings(json.loads((out / "results.json").read_text()))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# without dask


def test_missing_dask_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    with pytest.raises(ImportError, match=r'pip install "fer_classic\[dask\]"'):
        require_dask()
    out = tmp_path / "out"
    code = main(["--synthetic", "--quick", "--pipelines", "hog-linearsvm",
                 "--scheduler", "tcp://127.0.0.1:8786", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --scheduler:")
    assert "fer_classic[dask]" in err[0]
    assert not out.exists()


def test_scatter_arrays_without_dask_backend_is_a_noop():
    F = np.arange(3000.0).reshape(300, 10)
    with scatter_arrays(F):
        assert Parallel(n_jobs=2, backend="threading")(
            delayed(np.sum)(F) for _ in range(2)) == [F.sum()] * 2


def test_same_results_with_2_jobs_as_with_1(specs, tmp_path):
    # loky processes for the grid candidates and the local-learning batches
    a, b = tmp_path / "a", tmp_path / "b"
    argv = ["--synthetic", "--quick", "--pipelines", *specs, "--seed", "1", "--no-cache"]
    assert main([*argv, "--n-jobs", "1", "--out", str(a)]) == 0
    assert main([*argv, "--n-jobs", "2", "--out", str(b)]) == 0
    ra, rb = _results(a), _results(b)
    assert [r["name"] for r in ra["results"]] == specs
    assert len(ra["results"][0]["search"]) == 2  # really a grid of two candidates
    assert ra == rb


# --------------------------------------------------------------------------
# on a LocalCluster


@pytest.mark.slow
def test_bench_on_dask_equals_local_run(cluster, specs, tmp_path, monkeypatch, capsys):
    import distributed

    scattered = []
    real_scatter = distributed.Client.scatter

    def spy(self, data, *args, **kwargs):
        if kwargs.get("broadcast"):
            scattered.append([getattr(x, "shape", None) for x in data])
        return real_scatter(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", spy)
    local, remote = tmp_path / "local", tmp_path / "dask"
    argv = ["--synthetic", "--quick", "--pipelines", *specs, "--seed", "2"]
    assert main([*argv, "--out", str(remote), "--scheduler", cluster.scheduler_address]) == 0
    assert "2 worker(s)" in capsys.readouterr().err

    # the grid candidates and the local-learning batches ran on the workers
    prefixes = set(cluster.scheduler.task_prefixes)
    assert any(p.startswith("batch_of__fit_score") for p in prefixes), prefixes
    assert any("_predict_batch" in p for p in prefixes), prefixes
    # features went to the workers once per pipeline (one feature group each),
    # broadcast: F_train, y_train, F_public, y_public
    assert len(scattered) == 2
    for shapes in scattered:
        n_train = shapes[1][0]
        assert shapes[0][0] == n_train and len(shapes) == 4

    assert main([*argv, "--out", str(local)]) == 0
    assert _results(remote) == _results(local)
    for name in specs:  # run records too, not only the summary
        ra = json.loads((remote / "runs" / f"{name}.json").read_text())
        rb = json.loads((local / "runs" / f"{name}.json").read_text())
        assert strip_timings(ra) == strip_timings(rb)


def test_run_protocol_in_dask_backend_context(cluster):
    from fer_classic.distributed import dask_backend

    data = make_synthetic_faces(n_per_class=12, random_state=0)
    splits = {s: data.get_split(s) for s in ("Training", "PublicTest", "PrivateTest")}
    grid = {"local__n_neighbors": [5, 15]}
    ref = run_protocol(_local(0), grid, splits, verbose=False)
    with dask_backend(cluster.scheduler_address, verbose=False) as client:
        got = run_protocol(_local(0), grid, splits, verbose=False, n_jobs=1)
        assert client.status == "running"
    assert client.status == "closed"  # the context closes the client it opened
    from distributed import Client

    with Client(cluster, set_as_default=False) as mine:
        with dask_backend(mine, verbose=False) as used:
            assert used is mine
            again = run_protocol(_local(0), grid, splits, verbose=False)
        assert mine.status == "running"  # a client handed in is left open
    assert again.private == ref.private
    assert got.best_params == ref.best_params
    assert got.private == ref.private and got.public == ref.public
    assert [c["public_accuracy"] for c in got.search] == [
        c["public_accuracy"] for c in ref.search]


def test_unreachable_scheduler(tmp_path, capsys):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ConnectionError, match="could not connect to the Dask scheduler"):
        check_scheduler(address, timeout=2)
    out = tmp_path / "out"
    assert main(["--synthetic", "--scheduler", address, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and address in err[0] and err[0].startswith("error: --scheduler:")
    assert not out.exists()


@pytest.mark.parametrize("address", ["no-port-here", "http://127.0.0.1:8786"])
def test_invalid_scheduler_address(address, tmp_path, capsys):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="invalid Dask scheduler address"):
        check_scheduler(address)
    assert main(["--synthetic", "--scheduler", address, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid Dask scheduler address" in err[0]
    assert not (tmp_path / "o").exists()
