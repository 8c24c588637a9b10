"""Local learning on PCA codes of the Fisher vectors, side by side with the full vectors.

``sift-fisher-local+global`` searches the neighbours of every test face among
57,418 Training vectors of 33,792 values and fits its local SVM on theirs:
most of the pipeline's time, and the reason its model keeps the whole
Training matrix. Here the vectors are projected by PCA (fitted on a sample of
Training vectors, rows re-normalised to unit length) to ``d`` dimensions, and
local learning (the registry's: k nearest by dot product, a linear SVM on
them) runs on the projection, while the global SVM keeps the full vectors.
Every ``d`` and the full vectors (``full``) are scored side by side, with
each weight of the global SVM; the best weight of each row is chosen on
PublicTest, PrivateTest chooses nothing.

Usage::

    python benchmarks/bench_compact_local.py --data ../shared/fer2013 \\
        --dims 256 512 1024 2048 full --out benchmarks/results/compact_local.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cached_features import (  # noqa: E402
    TESTS, accuracy, cached_features, global_c, global_model, global_row, markdown_row,
    parse_and_start, record_footer,
)
from machine import write_record  # noqa: E402

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.models import mirror_averaged_scores  # noqa: E402
from fer_classic.utils.blockwise import as_compute, row_blocks  # noqa: E402
from fer_classic.utils.progress import log, show_progress  # noqa: E402

PIPELINE = "sift-fisher-local+global"


def pca_codes(F, n_components, n_samples, seed):
    """Unit-length PCA codes of every matrix in ``F``, the PCA fitted on Training rows."""
    rng = np.random.default_rng(seed)
    train = F["Training"]
    rows = np.sort(rng.choice(train.shape[0], min(n_samples, train.shape[0]), replace=False))
    pca = PCA(n_components, svd_solver="randomized", random_state=seed)
    pca.fit(as_compute(train[rows]))
    mean = pca.mean_.astype(np.float32)
    proj = pca.components_.T.astype(np.float32)
    codes = {}
    for name in ("Training", *TESTS):
        out = np.empty((F[name].shape[0], n_components), np.float32)
        for a, b, block in row_blocks(F[name]):
            out[a:b] = (block - mean) @ proj
        codes[name] = out
    return codes


def unit_rows(Z):
    return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--dims", nargs="+", default=["256", "512", "1024", "2048", "full"],
                   help="PCA dimensions of the code, or 'full' for the Fisher vectors")
    p.add_argument("--weights", type=float, nargs="+", default=[0.5, 0.75, 1.0, 1.5])
    p.add_argument("--pca-samples", type=int, default=12_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--global-c", type=float,
                   help="C of the global SVM (default: the registry's)")
    p.add_argument("--out", help="write the Markdown table here")
    args, argv, t_start = parse_and_start(p, argv)
    dims = [d if d == "full" else int(d) for d in args.dims]

    data = load_fer2013(args.data)
    run = cached_features(data, PIPELINE, args.seed)
    spec, pipe, F, y_train, ys, cache = (run.spec, run.pipeline, run.features, run.y_train,
                                         run.y_test, run.cache)
    combined = pipe.steps[-1][1]
    glob = global_model(combined, cache, args.global_c)
    with show_progress():
        glob.fit(F["Training"], y_train)
    G = {s: mirror_averaged_scores(glob, F[s], F[f"{s} mirrored"]) for s in TESTS}

    timings, rows = {}, []
    compact = [d for d in dims if d != "full"]
    codes = {}
    if compact:
        t0 = time.perf_counter()
        codes = pca_codes(F, max(compact), args.pca_samples, args.seed)
        timings["PCA fit and projection"] = time.perf_counter() - t0
    n_train, n_features = F["Training"].shape
    for d in dims:
        if d == "full":
            X = {k: F[k] for k in ("Training", *TESTS)}
            mb = F["Training"].nbytes / 2**20
        else:
            # held as a model would keep them: float16
            X = {k: unit_rows(v[:, :d]).astype(np.float16) for k, v in codes.items()}
            mb = (n_train + n_features) * d * 2 / 2**20  # codes and projection, float16
        local = clone(combined).set_params(global_estimator=None).fit(X["Training"], y_train)
        log(f"local learning on {d} dimensions")
        t0 = time.perf_counter()
        with show_progress():
            L = {s: local.decision_function(X[s]) for s in TESTS}
        seconds = time.perf_counter() - t0
        timings[f"local {d}"] = seconds
        for w in [0.0] + list(args.weights):
            rows.append((d, mb, w, seconds, *(accuracy(L[s] + w * G[s], ys[s]) for s in TESTS)))
    write_record(_table(rows, G, ys, spec, combined, glob, args, argv, timings, t_start), args.out)


def _table(rows, G, ys, spec, combined, glob, args, argv, timings, t_start):
    best = {}
    for r in rows:
        if r[2] > 0 and (r[0] not in best or r[4] > best[r[0]][4]):
            best[r[0]] = r
    lines = ["| code | local learning keeps, MB | global weight | local seconds (both tests) "
             "| PublicTest % | PrivateTest % |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[0]}" if r[0] == "full" else f"PCA {r[0]}", f"{r[1]:,.0f}", f"{r[2]:g}",
                 f"{r[3]:.0f}", f"{r[4]:.2f}", f"{r[5]:.2f}"]
        lines.append(markdown_row(cells, bold=r is best.get(r[0])))
    lines.append(global_row(G, ys, blanks=3))
    lines += [
        "",
        f"Each code's best weight on PublicTest in bold (weight 0: local learning alone). "
        f"Features and global SVM of `{spec.name}` (Fisher vectors of the Training faces and "
        f"their mirror images; the global SVM, C = {global_c(glob):g}, scores each test face and "
        f"its mirror image, mean); local learning as registered (k = {combined.n_neighbors}, "
        f"linear SVM, neighbours by dot product) on the test face. PCA fitted on "
        f"{args.pca_samples:,} Training vectors, codes re-normalised to unit length; 'keeps' "
        "counts the Training codes and the projection in float16 (the codes are scored as "
        "float16; for `full`, the Training matrix as held).",
        *record_footer("bench_compact_local.py", argv, timings, t_start),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
