"""Results tables (CSV, JSON, Markdown) and plots (confusion matrices, accuracy bars).

Every writer goes through :func:`atomic_write`: a file either holds its
complete new content or its previous one, never half of it.
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import EMOTIONS
from .significance import accuracy_interval, binomial_test, mcnemar_test
from .published import PUBLISHED
from .utils.fileio import atomic_write
from .utils.jsonable import to_jsonable

__all__ = [
    "atomic_write",
    "write_json",
    "results_frame",
    "significance",
    "markdown_table",
    "write_tables",
    "plot_confusion",
    "plot_accuracies",
    "strip_timings",
]

#: Keys of a run record that change from run to run of the same command.
TIMING_KEYS = ("timings", "search_fit_times", "finished_at", "wall_time")


def strip_timings(obj):
    """A results record (nested dicts and lists) without its :data:`TIMING_KEYS`.

    Two runs of the same command give equal stripped records.

    Examples
    --------
    >>> strip_timings({"accuracy": 0.5, "timings": {"fit": 1.2}, "runs": [{"wall_time": 3}]})
    {'accuracy': 0.5, 'runs': [{}]}
    """
    if isinstance(obj, dict):
        return {k: strip_timings(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [strip_timings(v) for v in obj]
    return obj


def write_json(obj, path):
    """Write ``obj`` as indented JSON, atomically (non-JSON values as ``repr``)."""
    with atomic_write(path) as f:
        json.dump(to_jsonable(obj), f, indent=2, allow_nan=False)
        f.write("\n")


def _short(name):
    return name[:3].capitalize()


def results_frame(records, *, classes=EMOTIONS):
    """One row per run record: the flat table behind ``results.csv``.

    Parameters
    ----------
    records : list of dict
        Run records as written by :func:`fer_classic.runner.run_benchmark`.
    classes : sequence of str, default=fer_classic.EMOTIONS
        The class names, in label order (per-class recall columns).

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for r in records:
        pub = PUBLISHED.get(r.get("published") or "")
        low, high = _bounds(r["private"])
        row = {
            "pipeline": r["name"],
            "private_accuracy": r["private"]["accuracy"],
            "public_accuracy": r["public"]["accuracy"],
            "private_ci_low": low,
            "private_ci_high": high,
            "private_macro_f1": r["private"]["macro_f1"],
        }
        for label, rec in zip(classes, r["private"]["per_class_recall"]):
            row[f"recall_{label.lower()}"] = rec
        row.update({
            "best_params": json.dumps(to_jsonable(r["best_params"]), sort_keys=True),
            "n_train": r["n_train"],
            "features_s": r["timings"]["features"],
            "fit_s": r["timings"]["fit"],
            "predict_s": r["timings"]["predict"],
            "search_s": r["timings"]["search"],
            "published_accuracy": pub.accuracy / 100 if pub else None,
            "published_source": pub.source if pub else None,
        })
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(x):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}"


def _bounds(scores):
    """Wilson 95 % interval of an accuracy, from its confusion matrix (``None`` without one)."""
    confusion = np.asarray(scores.get("confusion") or [])
    if confusion.ndim != 2 or confusion.sum() == 0:
        return None, None
    return accuracy_interval(int(np.trace(confusion)), int(confusion.sum()))


def _interval(scores):
    low, high = _bounds(scores)
    return "" if low is None else f"{100 * low:.1f}-{100 * high:.1f}"


def significance(records, y_true, *, published=True):
    """Paired tests against the best pipeline and one-sample tests against the published figures.

    The best pipeline is the one with the highest PublicTest accuracy (the
    protocol's choice: PrivateTest picks nothing). Every other pipeline is
    compared with it on the same PrivateTest faces by an exact McNemar test
    (:func:`~fer_classic.significance.mcnemar_test`); every pipeline's
    PrivateTest accuracy is compared with each published figure by an exact
    binomial test (:func:`~fer_classic.significance.binomial_test`). The
    p-values are two-sided and not corrected for the number of comparisons.

    Parameters
    ----------
    records : list of dict
        Run records with their ``private_predictions``.
    y_true : array-like of shape (n,)
        The PrivateTest labels the predictions were scored against.
    published : bool, default=True
        Also test against the published FER2013 figures (not for other
        labels than FER2013's, nor for synthetic faces).

    Returns
    -------
    result : dict
        ``best`` (its name), ``n`` (test faces) and ``pipelines``: for each
        name, ``correct``, ``vs_best`` (the McNemar result with ``only_a``
        this pipeline and ``only_b`` the best one; ``None`` for the best
        itself) and ``vs_published`` (empty without ``published``; else for
        each key of
        :data:`~fer_classic.published.PUBLISHED`, the ``difference`` of the
        accuracies in [-1, 1] and the ``pvalue``).

    Examples
    --------
    >>> recs = [{"name": "a", "public": {"accuracy": 0.7}, "private_predictions": [0, 1, 1, 1]},
    ...         {"name": "b", "public": {"accuracy": 0.6}, "private_predictions": [0, 0, 0, 0]}]
    >>> s = significance(recs, [0, 1, 1, 1])
    >>> s["best"], s["pipelines"]["b"]["vs_best"]
    ('a', {'only_a': 0, 'only_b': 3, 'pvalue': 0.25})
    """
    y_true = np.asarray(y_true)
    predictions = {}
    for r in records:
        pred = np.asarray(r.get("private_predictions", []))
        if pred.shape != y_true.shape:
            raise ValueError(f"[{r['name']}] has {pred.size} PrivateTest predictions; "
                             f"expected one per test face ({y_true.size}).")
        predictions[r["name"]] = pred
    best = max(records, key=lambda r: r["public"]["accuracy"])["name"]
    n = int(y_true.size)
    pipelines = {}
    for name, pred in predictions.items():
        correct = int(np.sum(pred == y_true))
        pipelines[name] = {
            "correct": correct,
            "vs_best": None if name == best else mcnemar_test(y_true, pred, predictions[best]),
            "vs_published": {
                key: {"difference": correct / n - pub.accuracy / 100,
                      "pvalue": binomial_test(correct, n, pub.accuracy / 100)}
                for key, pub in (PUBLISHED.items() if published else ())},
        }
    return {"best": best, "n": n, "pipelines": pipelines}


def _p(pvalue):
    text = "p < 0.001" if pvalue < 0.001 else f"p = {pvalue:.3f}"
    return text + (" *" if pvalue < 0.05 else "")


def significance_table(result):
    """Markdown section of :func:`significance`'s result."""
    best, n = result["best"], result["n"]
    tested = set().union(*(row["vs_published"] for row in result["pipelines"].values()))
    refs = sorted(((k, p) for k, p in PUBLISHED.items() if k in tested),
                  key=lambda kv: -kv[1].accuracy)
    lines = [f"**Significance** (PrivateTest, {n:,} faces, two-sided, * p < 0.05, not corrected "
             f"for the number of comparisons). Paired: each pipeline against `{best}`, the best "
             "on PublicTest, by an exact McNemar test on the faces where exactly one of the two "
             "is right (counts: only this pipeline right / only the best right)."]
    if refs:
        lines[0] += (" Published: the accuracy's difference from each published figure, in "
                     "points, by an exact binomial test (the figure taken as exact).")
    head = ["Pipeline", f"vs `{best}`"] + [f"vs {pub.accuracy:.3f} %" for _, pub in refs]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in result["pipelines"].items():
        vs = row["vs_best"]
        cells = [f"`{name}`", "(best)" if vs is None
                 else f"{vs['only_a']:,} / {vs['only_b']:,}, {_p(vs['pvalue'])}"]
        for key, _ in refs:
            t = row["vs_published"][key]
            cells.append(f"{100 * t['difference']:+.2f}, {_p(t['pvalue'])}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_table(records, *, dataset=None, tests=None):
    """The baseline table in Markdown, with the published reference points.

    Parameters
    ----------
    records : list of dict
        Run records.
    dataset : dict, optional
        The ``dataset`` entry of the records (source, path, counts); a
        synthetic data set gets a warning banner.
    tests : dict, optional
        :func:`significance` of the records, appended as its own table.
    """
    classes = (dataset or {}).get("classes", EMOTIONS)
    compare = _compares_published(dataset)
    lines = []
    if dataset and dataset.get("source") == "synthetic":
        lines += [
            "> **SYNTHETIC DATA.** These numbers come from fer_classic's generated cartoon",
            "> faces, not FER2013: they only show the pipelines run. They are not comparable",
            "> with the published figures. Get FER2013 and pass `--data PATH` (see README).",
            "",
        ]
    if dataset and dataset.get("quick"):
        q = dataset["quick"]
        lines += [
            f"> **QUICK RUN.** {q['training_faces']:,} of the {q['of']:,} Training faces and "
            "small grids (see each row's description): a fast look, not the full-run figures.",
            "",
        ]
    if dataset:
        lines += [f"Data: {dataset.get('description', dataset.get('source'))}", ""]
    head = (["Pipeline", "PrivateTest acc %", "95 % interval", "PublicTest acc %", "macro-F1 %"]
            + [f"{_short(e)} rec %" for e in classes]
            + ["Published %", "features s", "fit s", "predict s", "best params"])
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        pub = PUBLISHED.get(r.get("published") or "")
        cells = [f"`{r['name']}`", _pct(r["private"]["accuracy"]), _interval(r["private"]),
                 _pct(r["public"]["accuracy"]), _pct(r["private"]["macro_f1"])]
        cells += [_pct(x) for x in r["private"]["per_class_recall"]]
        cells += [f"{pub.accuracy:.3f} ({pub.source})" if pub and compare else "",
                  f"{r['timings']['features']:.1f}", f"{r['timings']['fit']:.1f}",
                  f"{r['timings']['predict']:.1f}",
                  ", ".join(f"{k}={v}" for k, v in r["best_params"].items())]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "95 % interval: Wilson score interval of the PrivateTest accuracy, each test "
              "face an independent trial."]
    if compare:
        lines[-1] += " Published FER2013 PrivateTest reference points:"
        lines += [""] + [f"- {p.accuracy:.3f} %: {p.source} ({p.note})" for p in
                         sorted(PUBLISHED.values(), key=lambda p: -p.accuracy)]
    elif "classes" in (dataset or {}):
        lines[-1] += (" These labels are not FER2013's: the published FER2013 figures are "
                      "not comparable and are left out.")
    if tests is not None:
        lines += ["", significance_table(tests).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _compares_published(dataset):
    """Whether results on ``dataset`` may be set beside the published FER2013 figures."""
    dataset = dataset or {}
    return dataset.get("source") != "synthetic" and "classes" not in dataset


def compact_table(records):
    """The main columns of the results, as aligned plain text for a terminal.

    ``results.md`` holds every column (per-class recalls, timings, settings);
    this keeps the five a reader compares, in under 80 characters a row.

    Examples
    --------
    >>> rec = {"name": "demo", "private": {"accuracy": 0.5, "confusion": [[5, 5], [0, 0]]},
    ...        "public": {"accuracy": 0.4}, "published": None}
    >>> print(compact_table([rec]))
    pipeline  PrivateTest %  95 % interval  PublicTest %  published %
    demo              50.00      23.7-76.3         40.00
    """
    head = ["pipeline", "PrivateTest %", "95 % interval", "PublicTest %", "published %"]
    rows = []
    for r in records:
        pub = PUBLISHED.get(r.get("published") or "")
        rows.append([r["name"], _pct(r["private"]["accuracy"]), _interval(r["private"]),
                     _pct(r["public"]["accuracy"]), f"{pub.accuracy:.3f}" if pub else ""])
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    for row in rows:
        lines.append("  ".join([row[0].ljust(widths[0])]
                               + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
    return "\n".join(line.rstrip() for line in lines)


def write_tables(records, out_dir, *, dataset=None, y_true=None):
    """Write ``results.csv``, ``results.json`` and ``results.md`` into ``out_dir``.

    With the PrivateTest labels ``y_true``, the tables also hold the
    :func:`significance` tests (``results.json``: its ``significance`` entry;
    ``results.csv``: ``pvalue_vs_best`` and a ``pvalue_vs_<published>``
    column per published figure, on FER2013 labels and real faces only).
    """
    out_dir = Path(out_dir)
    frame = results_frame(records, classes=(dataset or {}).get("classes", EMOTIONS))
    compare = _compares_published(dataset)
    tests = None if y_true is None else significance(records, y_true, published=compare)
    if tests is not None:
        rows = [tests["pipelines"][name] for name in frame["pipeline"]]
        frame["pvalue_vs_best"] = [None if r["vs_best"] is None else r["vs_best"]["pvalue"]
                                   for r in rows]
        for key in PUBLISHED if compare else ():
            frame[f"pvalue_vs_{key}"] = [r["vs_published"][key]["pvalue"] for r in rows]
    with atomic_write(out_dir / "results.csv") as f:
        frame.to_csv(f, index=False)
    document = {"dataset": dataset, "results": records}
    if tests is not None:
        document["significance"] = tests
    write_json(document, out_dir / "results.json")
    with atomic_write(out_dir / "results.md") as f:
        f.write(markdown_table(records, dataset=dataset, tests=tests))
    return frame


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


#: Text sizes of the plots, in points (at their 130 dpi, 9 pt is about 16 pixels).
_FONT = 10
_SMALL = 9


def plot_confusion(confusion, path, *, title="", classes=EMOTIONS):
    """Save a row-normalised confusion matrix with counts as a PNG (atomically).

    ``classes`` names the rows and columns, in label order.
    """
    plt = _figure()
    cm = np.asarray(confusion, dtype=float)
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.6, 6.6), dpi=130)
    im = ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{rates[i, j]:.2f}\n({int(cm[i, j])})", ha="center", va="center",
                    fontsize=_SMALL, color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=_FONT)
    ax.set_yticks(range(len(classes)), classes, fontsize=_FONT)
    ax.set_xlabel("predicted", fontsize=_FONT)
    ax.set_ylabel("true", fontsize=_FONT)
    ax.set_title(title, fontsize=_FONT + 1)
    fig.colorbar(im, ax=ax, fraction=0.046, label="recall")
    fig.tight_layout()
    _save(fig, path)


#: One colour per published reference line (colour-blind-safe, Okabe & Ito).
_REFERENCE_COLOURS = ["#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]


def plot_accuracies(records, path, *, title="PrivateTest accuracy", published=True):
    """Horizontal bars of PrivateTest accuracy with 95 % intervals, and the published figures.

    Each bar carries its Wilson 95 % interval as an error bar and its value
    on a white box (so that no reference line crosses the text); the
    published figures are vertical lines of distinct colours, named in a
    legend below the axes, where it covers no bar (``published=False``:
    no reference lines, for other labels than FER2013's).
    """
    _save(accuracy_figure(records, title=title, published=published), path)


def accuracy_figure(records, *, title="PrivateTest accuracy", published=True):
    """The Matplotlib figure :func:`plot_accuracies` saves."""
    plt = _figure()
    names = [r["name"] for r in records]
    accs = np.array([100 * r["private"]["accuracy"] for r in records])
    errs = np.zeros((2, len(records)))
    for i, r in enumerate(records):
        lo, hi = _bounds(r["private"])
        if lo is not None:
            errs[:, i] = np.maximum([accs[i] - 100 * lo, 100 * hi - accs[i]], 0)
    refs = sorted(PUBLISHED.values(), key=lambda p: -p.accuracy) if published else []
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(names) + 2.4), dpi=130)
    ax.barh(names, accs, xerr=errs, color="#4c72b0", ecolor="#222222", capsize=3,
            error_kw={"lw": 1})
    for ref, colour in zip(refs, _REFERENCE_COLOURS):
        ax.axvline(ref.accuracy, ls="--", lw=1.2, color=colour,
                   label=f"{ref.accuracy:.1f} %: {ref.source.split(' (')[0]}")
    for y, (a, up) in enumerate(zip(accs, errs[1])):
        ax.text(a + up + 0.8, y, f"{a:.1f}", va="center", fontsize=_SMALL,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.tick_params(labelsize=_FONT)
    ax.set_xlabel("accuracy % (bars: 95 % interval)", fontsize=_FONT)
    ax.set_title(title, fontsize=_FONT + 1)
    if refs:
        ax.legend(fontsize=_SMALL, title="published (PrivateTest)", title_fontsize=_SMALL,
                  loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.5 / (len(names) + 4)),
                  ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def _save(fig, path):
    import matplotlib.pyplot as plt

    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
