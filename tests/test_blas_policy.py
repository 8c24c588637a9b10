"""One BLAS-thread policy: set in the calling thread, the same in both OpenBLAS regimes.

Run in subprocesses, with ``OPENBLAS_CORETYPE`` unset and set, so that the
BLAS thread count starts from the library's own default each time.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_info
    from fer_classic import SPLITS
    from fer_classic.datasets import make_synthetic_faces
    from fer_classic.features import HOG
    from fer_classic.models import LinearSVM
    from fer_classic.protocol import run_protocol

    seen = []

    class Probe(LogisticRegression):
        def fit(self, X, y):
            seen.append(max(p["num_threads"] for p in threadpool_info()
                            if p["user_api"] == "blas"))
            return super().fit(X, y)

    data = make_synthetic_faces(n_per_class=8, random_state=0)
    splits = {s: data.get_split(s) for s in SPLITS}
    out = {}
    for n_jobs in (1, 2):
        seen.clear()
        run_protocol(Pipeline([("hog", HOG()), ("clf", Probe(max_iter=50))]),
                     {"clf__C": [0.1, 1.0]}, splits, n_jobs=n_jobs)
        out[f"probe_threads_{n_jobs}"] = sorted(seen)
        r = run_protocol(Pipeline([("hog", HOG()), ("svm", LinearSVM(n_jobs=2))]),
                         {"svm__C": [0.01, 0.1]}, splits, n_jobs=n_jobs)
        X = splits["PrivateTest"][0]
        out[f"scores_{n_jobs}"] = r.estimator.decision_function(X).tobytes().hex()
    out["after"] = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    print(json.dumps(out))
""")


@pytest.mark.parametrize("coretype", [None, "Haswell"])
@pytest.mark.slow
def test_parallel_candidates_run_on_one_blas_thread_and_agree(coretype):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # side by side in threads: one BLAS thread each, whatever the thread asked
    assert out["probe_threads_2"] == [1, 1]
    # the same fitted model, whether candidates ran one at a time or side by side
    assert out["scores_1"] == out["scores_2"]
    # and the process gets its BLAS threads back afterwards
    assert out["after"] == max(out["probe_threads_1"])
