"""Local models fitted in advance per cluster, on the Fisher vectors: their settings, measured.

``ClusteredLocalClassifier`` fits one local SVM per cluster of Training faces
(on the 300 nearest the cluster's centre) and scores a face with the models
of its nearest centres, plus a weight times the global SVM. Its size grows
with the number of clusters (one 7 x 33,792 weight matrix each); the number
of experts per face and the weight of the global SVM cost nothing at fit
time. This script fits the global SVM once (the registry's, read from the
bench's cache when a bench run fitted it) and one clustered model per
``--clusters`` value, and scores every number of experts and weight from
them, side by side. The registry's choices are the best on PublicTest;
PrivateTest is shown for every row but chooses nothing.

Usage::

    python benchmarks/bench_clustered.py --data ../shared/fer2013 \\
        --clusters 32 128 320 --out benchmarks/results/clustered.md
"""

import argparse
import sys
import time
from pathlib import Path

from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cached_features import (  # noqa: E402
    TESTS, accuracy, cached_features, global_row, markdown_row, parse_and_start, record_footer,
)
from machine import write_record  # noqa: E402

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.models import ClusteredLocalClassifier, mirror_averaged_scores  # noqa: E402
from fer_classic.utils.progress import log, show_progress  # noqa: E402

PIPELINE = "sift-fisher-linearsvm"  # its features and its (cached) global SVM


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--clusters", type=int, nargs="+", default=[32, 128, 320])
    p.add_argument("--neighbors", type=int, default=300)
    p.add_argument("--experts", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--weights", type=float, nargs="+", default=[0.5, 0.75, 1.0, 1.5, 2.0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write the Markdown table here")
    args, argv, t_start = parse_and_start(p, argv)

    data = load_fer2013(args.data)
    run = cached_features(data, PIPELINE, args.seed)
    pipe, F, y_train, ys, cache = run.pipeline, run.features, run.y_train, run.y_test, run.cache
    glob = clone(pipe.steps[-1][1]).set_params(memory=str(cache))
    timings = {}
    with show_progress():
        t0 = time.perf_counter()
        glob.fit(F["Training"], y_train)
        timings["global fit"] = time.perf_counter() - t0
    G = {s: mirror_averaged_scores(glob, F[s], F[f"{s} mirrored"]) for s in TESTS}
    rows = []
    for C in args.clusters:
        clf = ClusteredLocalClassifier(n_clusters=C, n_neighbors=args.neighbors,
                                       dtype="float16", n_jobs=2, random_state=args.seed)
        log(f"{C} clusters, {args.neighbors} neighbours each")
        with show_progress():
            t0 = time.perf_counter()
            clf.fit(F["Training"], y_train)
            timings[f"fit {C}"] = time.perf_counter() - t0
        mb = (clf.coef_.nbytes + clf.centres_.nbytes + clf.intercept_.nbytes) / 2**20
        for e in args.experts:
            clf.set_params(n_experts=e)
            L = {s: clf.decision_function(F[s]) for s in TESTS}
            for w in args.weights:
                rows.append((C, e, w, mb, *(accuracy(L[s] + w * G[s], ys[s]) for s in TESTS)))
    best = {C: max((r for r in rows if r[0] == C), key=lambda r: r[4]) for C in args.clusters}
    lines = ["| clusters | experts per face | global weight | local models MB (float16) "
             "| PublicTest % | PrivateTest % |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[0]}", f"{r[1]}", f"{r[2]:g}", f"{r[3]:.0f}", f"{r[4]:.2f}", f"{r[5]:.2f}"]
        lines.append(markdown_row(cells, bold=r is best[r[0]]))
    lines.append(global_row(G, ys, blanks=3))
    lines += [
        "",
        f"Each number of clusters' best row on PublicTest in bold. Features and global SVM "
        f"(C = 0.3) of `{PIPELINE}`: Fisher vectors of the Training faces and their mirror "
        f"images; local models fitted on the {args.neighbors} Training vectors nearest each "
        "centre; the local models score each test face, the global SVM the face and its "
        "mirror image (mean).",
        *record_footer("bench_clustered.py", argv, timings, t_start),
    ]
    write_record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
