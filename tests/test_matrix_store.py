"""Feature matrices on disk: the entry format, memory-mapped reading and page release."""

import json
import os
import warnings

import numpy as np
import pytest
from scipy import sparse

from fer_classic.utils.mapped import mapping_of, release
from fer_classic.utils.matrix_store import EntryWriter, MatrixWriter, MemoryEntry, read_entry
from fer_classic.utils.memory import CacheWarning


def _rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS")


def _entry(path, dense, sparse_matrix=None, obj="fitted"):
    with EntryWriter(path) as entry:
        with entry.writer(len(dense), dense.shape[1:], dense.dtype) as w:
            for start in range(0, len(dense), 3):
                w.write(dense[start:start + 3])
        if sparse_matrix is not None:
            entry.add(sparse_matrix)
        entry.finish(obj, meta={"seconds": 2.5, "finite": True})


def test_entry_round_trip_reads_dense_matrices_memory_mapped(tmp_path):
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(10, 4)).astype(np.float16)
    csr = sparse.random(10, 50, density=0.1, format="csr", random_state=0)
    _entry(tmp_path / "e", dense, csr, obj={"steps": [1, 2]})
    obj, (A, B), meta = read_entry(tmp_path / "e")
    assert obj == {"steps": [1, 2]} and meta == {"seconds": 2.5, "finite": True}
    np.testing.assert_array_equal(A, dense)
    assert isinstance(A, np.memmap) and not A.flags.writeable
    assert mapping_of(A) is not None
    assert sparse.issparse(B) and (B != csr).nnz == 0
    assert read_entry(tmp_path / "absent") is None
    # nothing is left beside the entry (its partial directory is gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]


def test_unfinished_entry_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with EntryWriter(tmp_path / "e") as entry:
            entry.add(np.ones((2, 2)))
            raise RuntimeError("computation failed")
    with EntryWriter(tmp_path / "f") as entry:
        entry.add(np.ones((2, 2)))  # no finish()
    assert list(tmp_path.iterdir()) == []


def test_an_entry_written_meanwhile_is_kept(tmp_path):
    _entry(tmp_path / "e", np.zeros((4, 2), np.float32), obj="first")
    _entry(tmp_path / "e", np.ones((4, 2), np.float32), obj="second")
    obj, (A,), _ = read_entry(tmp_path / "e")
    assert obj == "first" and A.sum() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]


def test_matrix_writer_checks_rows():
    with pytest.raises(ValueError, match="dtype"):
        MatrixWriter(os.devnull, 2, (3,), np.float32).write(np.ones((1, 3)))
    w = MatrixWriter(os.devnull, 2, (3,), np.float32)
    with pytest.raises(ValueError, match="more than the 2 announced"):
        w.write(np.ones((3, 3), np.float32))
    w.write(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="1 rows written of the 2 announced"):
        w.close()


@pytest.mark.parametrize("damage", ["listing", "truncated", "missing", "version"])
def test_damaged_entry_is_removed_with_one_warning(tmp_path, damage):
    _entry(tmp_path / "e", np.arange(40, dtype=np.float32).reshape(10, 4))
    if damage == "listing":
        (tmp_path / "e" / "entry.json").write_bytes(b"\xff not json")
    elif damage == "truncated":
        path = tmp_path / "e" / "matrix0.npy"
        path.write_bytes(path.read_bytes()[:-8])
    elif damage == "missing":
        (tmp_path / "e" / "object.pkl").unlink()
    else:
        listing = json.loads((tmp_path / "e" / "entry.json").read_text())
        (tmp_path / "e" / "entry.json").write_text(json.dumps(listing | {"version": 0}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_entry(tmp_path / "e") is None
    assert [w.category for w in caught] == [CacheWarning]
    assert "rebuilding it" in str(caught[0].message) and str(tmp_path / "e") in str(
        caught[0].message)
    assert not (tmp_path / "e").exists()


def test_memory_entry_has_the_writer_interface():
    entry = MemoryEntry()
    entry.add(np.zeros(2))
    with entry.writer(4, (2,), np.float16) as w:
        w.write(np.ones((3, 2), np.float16))
        w.write(np.full((1, 2), 2, np.float16))
    assert entry.matrices[1].dtype == np.float16
    np.testing.assert_array_equal(entry.matrices[1][:, 0], [1, 1, 1, 2])


def test_release_keeps_values_and_only_acts_on_mappings(tmp_path):
    X = np.arange(6000, dtype=np.float32).reshape(300, 20)
    np.save(tmp_path / "x.npy", X)
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert float(M.sum()) == float(X.sum())
    assert release(M) and release(M, rows=[3, 4, 5, 100]) and release(M, slice(10, 20))
    assert release(np.asarray(M)[::2, ::3])  # a strided view of the mapping
    np.testing.assert_array_equal(M, X)
    assert not release(X) and not release([1, 2]) and mapping_of(X) is None


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_release_gives_back_the_resident_memory_of_a_pass(tmp_path):
    rows = np.ones((1024, 16384), np.float32)  # 64 MiB
    np.save(tmp_path / "x.npy", rows)
    del rows
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    before = _rss_mb()
    assert float(M.sum(dtype=np.float64)) == 1024 * 16384
    read = _rss_mb()
    release(M)
    after = _rss_mb()
    assert read - before > 48  # the pages read are resident...
    assert read - after > 48   # ... until released


@pytest.fixture
def mapped_training(tmp_path):
    """A float16 training set in memory and the same one memory-mapped from a .npy file."""
    rng = np.random.default_rng(0)
    y = np.arange(300) % 3
    X = (rng.normal(size=(300, 40)) + 2.0 * np.eye(3, 40)[y]).astype(np.float16)
    np.save(tmp_path / "X.npy", X)
    return X, np.load(tmp_path / "X.npy", mmap_mode="r"), y


def test_models_read_a_memory_mapped_matrix_as_the_array(mapped_training):
    from fer_classic.features import SampledPCA
    from fer_classic.models import DualLinearSVM, KernelSVC, LocalLearningClassifier
    from fer_classic.utils.blockwise import matmul

    X, M, y = mapped_training
    W = np.random.default_rng(1).normal(size=(40, 5))
    np.testing.assert_array_equal(matmul(M, W), matmul(X, W))
    svm = DualLinearSVM(C=1.0, random_state=0)
    np.testing.assert_array_equal(svm.fit(M, y).coef_, svm.fit(X, y).coef_)
    pca = SampledPCA(4, n_samples=100, random_state=0)
    np.testing.assert_array_equal(pca.fit_transform(M), pca.fit_transform(X))
    local = LocalLearningClassifier(n_neighbors=30, metric="linear", n_jobs=2,
                                    estimator=KernelSVC(kernel="linear"))
    np.testing.assert_array_equal(local.fit(M, y).decision_function(M[:40]),
                                  local.fit(X, y).decision_function(X[:40]))


def test_cached_fit_is_shared_by_a_mapped_matrix_and_its_copy(mapped_training, tmp_path):
    from fer_classic.models import CachedClassifier, DualLinearSVM

    X, M, y = mapped_training
    first = CachedClassifier(DualLinearSVM(random_state=0), memory=tmp_path / "c").fit(M, y)
    again = CachedClassifier(DualLinearSVM(random_state=0), memory=tmp_path / "c").fit(X, y)
    assert len(list((tmp_path / "c").rglob("output.pkl"))) == 1
    np.testing.assert_array_equal(first.estimator_.coef_, again.estimator_.coef_)
    other = X.copy()
    other[0, 0] += 1
    CachedClassifier(DualLinearSVM(random_state=0), memory=tmp_path / "c").fit(other, y)
    assert len(list((tmp_path / "c").rglob("output.pkl"))) == 2
