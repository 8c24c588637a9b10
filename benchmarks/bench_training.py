"""Training speed: fer_classic's L-BFGS LinearSVM against scikit-learn's LinearSVC.

Both minimise the one-vs-rest squared-hinge objective on the same
standardised HOG features of FER2013 Training (28,709 x 900), in the same
run, so the ratio is meaningful on a shared machine. Usage::

    python benchmarks/bench_training.py --data ../shared/fer2013 \
        --out benchmarks/results/training.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description, write_record  # noqa: E402

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.features import HOG  # noqa: E402
from fer_classic.models.linear import LinearSVM, squared_hinge_objective  # noqa: E402


def _objective(clf, X, y, C):
    Y = np.where(y[:, None] == clf.classes_[None, :], 1.0, -1.0).astype(X.dtype)
    return squared_hinge_objective(clf.coef_.T.astype(X.dtype),
                                   clf.intercept_.astype(X.dtype), X, Y, C)[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 CSV or image folder")
    p.add_argument("--C", type=float, default=0.01)
    p.add_argument("--out", help="write the Markdown table here too")
    args = p.parse_args(argv)

    data = load_fer2013(args.data)
    (Xtr, ytr), (Xte, yte) = data.get_split("Training"), data.get_split("PrivateTest")
    hog = HOG().fit(Xtr)
    scaler = StandardScaler().fit(hog.transform(Xtr))
    Ftr, Fte = scaler.transform(hog.transform(Xtr)), scaler.transform(hog.transform(Xte))

    rows = []
    for name, clf in [
        ("fer_classic LinearSVM (L-BFGS, tol=1e-3)", LinearSVM(C=args.C, tol=1e-3)),
        ("scikit-learn LinearSVC(dual=False, tol=1e-3)",
         LinearSVC(C=args.C, dual=False, tol=1e-3)),
    ]:
        t0 = time.perf_counter()
        clf.fit(Ftr, ytr)
        fit = time.perf_counter() - t0
        rows.append((name, fit, np.mean(clf.predict(Fte) == yte),
                     _objective(clf, Ftr, ytr, args.C)))
        print(f"{name}: fit {fit:.1f} s", file=sys.stderr, flush=True)

    ratio = rows[1][1] / rows[0][1]
    lines = [
        f"Linear SVM training on FER2013 Training HOG features {Ftr.shape}, C={args.C}",
        "",
        "| solver | fit s | PrivateTest acc % | objective (intercept unpenalised) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {t:.1f} | {100 * a:.2f} | {f:.2f} |" for n, t, a, f in rows]
    lines += ["", f"LinearSVM is {ratio:.1f}x faster than LinearSVC in this run.", "",
              f"Machine: {machine_description()}",
              "Command: `python benchmarks/bench_training.py --data ../shared/fer2013 "
              "--out benchmarks/results/training.md`", ""]
    write_record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
