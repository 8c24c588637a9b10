"""The global linear SVMs of the Fisher and bag-of-words pipelines: solvers side by side.

The global SVM of ``sift-fisher-local+global`` (Fisher vectors of the
Training faces and their mirror images, 57,418 x 33,792 float16) and of
``sift-bovw-local`` (sparse presence vectors, 57,418 x 420,000) were the
two longest fits of the registry, by L-BFGS on the primal
(:class:`~fer_classic.models.LinearSVM`, hundreds of passes over the data).
This script fits each, in one run, by that solver and by dual coordinate
descent (:class:`~fer_classic.models.DualLinearSVM` on the dense float16
matrix as held; scikit-learn's ``LinearSVC(dual=True)``, liblinear, on the
sparse one), and scores each test face and its mirror image (mean of the
scores) on PublicTest and PrivateTest. Features from the bench's cache
when a bench run made them. Usage::

    python benchmarks/bench_global_svm.py --data ../shared/fer2013 \\
        --out benchmarks/results/global_svm.md
"""

import argparse
import sys
import time
from pathlib import Path

from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cached_features import (TESTS, accuracy, cached_features, markdown_row,  # noqa: E402
                             parse_and_start, record_footer)

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.models import DualLinearSVM, LinearSVM  # noqa: E402
from fer_classic.utils.fileio import atomic_write  # noqa: E402
from fer_classic.utils.progress import log  # noqa: E402


def solvers(pipeline, seed, tols):
    """``(label, estimator)`` of each solver compared for ``pipeline``'s global SVM."""
    if pipeline == "sift-fisher-local+global":
        return [("L-BFGS (LinearSVM, tol 1e-2)", LinearSVM(C=1.0, tol=1e-2, n_jobs=2))] + [
            (f"dual CD (DualLinearSVM, tol {t:g})",
             DualLinearSVM(C=1.0, tol=t, random_state=seed, n_jobs=2)) for t in tols]
    return [("L-BFGS (LinearSVM, tol 1e-3)", LinearSVM(C=0.1, tol=1e-3, n_jobs=2))] + [
        (f"dual CD (liblinear LinearSVC, tol {t:g})",
         LinearSVC(C=0.1, dual=True, tol=t, random_state=seed)) for t in tols]


def measure(name, features, seed, tols):
    """Table rows: each solver's fit time, passes and accuracies on the test splits."""
    F = features.features
    rows = []
    for label, clf in solvers(name, seed, tols):
        log(f"[{name}] {label}")
        t = time.perf_counter()
        clf.fit(F["Training"], features.y_train)
        seconds = time.perf_counter() - t
        accs = [accuracy(clf.decision_function(F[s]) + clf.decision_function(F[f"{s} mirrored"]),
                         features.y_test[s]) for s in TESTS]
        rows.append(markdown_row([f"`{name}`", label, f"C = {clf.C:g}", f"{int(clf.n_iter_)}",
                                  f"{seconds:.0f}", *(f"{a:.2f}" for a in accs)]))
        log(rows[-1])
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--pipelines", nargs="+",
                   default=["sift-fisher-local+global", "sift-bovw-local"])
    p.add_argument("--tols", nargs="+", type=float, default=[0.1, 0.01],
                   help="stopping tolerances of the dual solvers (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write the Markdown record here")
    args, argv, t0 = parse_and_start(p, argv)

    data = load_fer2013(args.data)
    lines = ["| pipeline | solver | C | passes over the data | fit s | PublicTest % "
             "| PrivateTest % |", "|---|---|---|---|---|---|---|"]
    timings = {}
    for name in args.pipelines:
        t = time.perf_counter()
        lines += measure(name, cached_features(data, name, args.seed), args.seed, args.tols)
        timings[name] = time.perf_counter() - t
    lines += ["", "Passes: L-BFGS iterations (each one pass over the Training matrix) or "
              "epochs of dual coordinate descent (each one pass); liblinear's epochs skip the "
              "variables it has shrunk. Accuracy: the global SVM alone, scores of each test "
              "face and its mirror image averaged. Both solvers minimise the squared hinge with "
              "an L2 penalty; the dual ones penalise the intercept too (liblinear's problem), "
              "the L-BFGS one does not."]
    text = "\n".join(lines + record_footer("bench_global_svm.py", argv, timings, t0))
    print(text)
    if args.out:
        with atomic_write(args.out) as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
