"""Local learning with a global model: the weight of the global scores, measured.

The registry's ``sift-fisher-local+global`` scores each test face with its
local SVM plus ``global_weight`` times a linear SVM fitted on all Training
faces (both mirror-averaged). Its grid holds one weight, because every
weight would cost a full local-learning pass over PublicTest; this script
measures the weights side by side from one pass: it fits the local learner
and the global SVM once, keeps their PublicTest and PrivateTest scores, and
combines them for every weight. The weight with the best PublicTest accuracy
is the registry's; PrivateTest is shown for every weight but chooses nothing.

The Fisher vectors come from the bench's feature cache when a full bench run
has computed them (same data, same seed), else they are computed and cached;
so does the global SVM (the registry wraps it in a ``CachedClassifier``).
Usage::

    python benchmarks/bench_local_global.py --data ../shared/fer2013 \\
        --out benchmarks/results/local_global.md
"""

import argparse
import sys
import time
from pathlib import Path

from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cached_features import (  # noqa: E402
    TESTS, accuracy, global_model, cached_features, global_row, parse_and_start, record_footer,
)
from machine import write_record  # noqa: E402

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.models import mirror_averaged_scores  # noqa: E402
from fer_classic.utils.progress import log, show_progress  # noqa: E402

PIPELINE = "sift-fisher-local+global"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--out", help="write the Markdown table here")
    p.add_argument("--weights", type=float, nargs="+",
                   default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--global-c", type=float,
                   help="C of the global SVM (default: the registry's)")
    args, argv, t_start = parse_and_start(p, argv)

    data = load_fer2013(args.data)
    run = cached_features(data, PIPELINE, args.seed)
    pipe, F, y_train, ys, cache = run.pipeline, run.features, run.y_train, run.y_test, run.cache

    combined = pipe.steps[-1][1]
    local = clone(combined).set_params(global_estimator=None)
    glob = global_model(combined, cache, args.global_c)
    timings, local_scores, global_scores = {}, {}, {}
    log(f"global model: {glob}")
    with show_progress():  # L-BFGS iterations, then faces of local learning
        t0 = time.perf_counter()
        glob.fit(F["Training"], y_train)
        timings["global fit"] = time.perf_counter() - t0
        local.fit(F["Training"], y_train)
        for s in TESTS:
            global_scores[s] = mirror_averaged_scores(glob, F[s], F[f"{s} mirrored"])
            log(f"local learning on {s} (k = {local.n_neighbors})")
            t0 = time.perf_counter()
            local_scores[s] = mirror_averaged_scores(local, F[s], F[f"{s} mirrored"])
            timings[f"local {s}"] = time.perf_counter() - t0
        log(f"{s}: local {accuracy(local_scores[s], ys[s]):.2f} %, "
            f"global {accuracy(global_scores[s], ys[s]):.2f} %")

    rows = [(w, *(accuracy(local_scores[s] + w * global_scores[s], ys[s]) for s in TESTS))
            for w in args.weights]
    best = max(rows, key=lambda r: r[1])[0]  # first of the best PublicTest weights
    lines = ["| global_weight | PublicTest % | PrivateTest % |", "|---|---|---|"]
    for w, pub, priv in rows:
        mark = " (best PublicTest)" if w == best else ""
        lines.append(f"| {w:g}{mark} | {pub:.2f} | {priv:.2f} |")
    lines.append(global_row(global_scores, ys))
    registry_weight = combined.global_weight
    # the registry's global SVM sits in a CachedClassifier: its C is nested
    glob_C = next(v for k, v in glob.get_params().items() if k.rsplit("__", 1)[-1] == "C")
    lines += [
        "",
        f"`{PIPELINE}` (registry `global_weight` = {registry_weight:g}): local learning with "
        f"k = {local.n_neighbors} on the Fisher vectors of the Training faces and their mirror "
        f"images, plus w x the global linear SVM (C = {glob_C:g}). "
        + ("Local learning scores each test face, the global SVM the face and its mirror "
           "image (mean). " if local.local_views == "first" else
           "Both scores are means over each test face and its mirror image. ")
        + "w = 0 is local learning alone.",
        *record_footer("bench_local_global.py", argv, timings, t_start,
                       made_by="a full bench run"),
    ]
    write_record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
