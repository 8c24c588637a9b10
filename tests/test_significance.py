"""Intervals and tests of accuracies (fer_classic.significance) and their tables."""

import json

import numpy as np
import pytest
from scipy.stats import binom
from sklearn.metrics import confusion_matrix

from fer_classic.published import PUBLISHED
from fer_classic.report import significance, write_tables
from fer_classic.significance import accuracy_interval, binomial_test, mcnemar_test


def test_wilson_interval_covers_the_accuracy_and_shrinks_with_n():
    low, high = accuracy_interval(68, 100)
    assert low < 0.68 < high
    low_n, high_n = accuracy_interval(6800, 10000)
    assert low < low_n < 0.68 < high_n < high
    assert accuracy_interval(0, 10)[0] == 0.0
    assert accuracy_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n must be positive"):
        accuracy_interval(0, 0)


def test_mcnemar_counts_only_the_discordant_faces():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 500)
    a = np.where(rng.random(500) < 0.7, y, (y + 1) % 7)
    b = np.where(rng.random(500) < 0.6, y, (y + 2) % 7)
    r = mcnemar_test(y, a, b)
    right_a, right_b = a == y, b == y
    assert r["only_a"] == np.sum(right_a & ~right_b)
    assert r["only_b"] == np.sum(right_b & ~right_a)
    # the exact two-sided test of k successes out of m fair coins, by hand
    k, m = min(r["only_a"], r["only_b"]), r["only_a"] + r["only_b"]
    assert r["pvalue"] == pytest.approx(min(1.0, 2 * binom.cdf(k, m, 0.5)), rel=1e-9)
    # symmetric, and faces both get right or both get wrong change nothing
    swapped = mcnemar_test(y, b, a)
    assert (swapped["only_a"], swapped["only_b"]) == (r["only_b"], r["only_a"])
    assert swapped["pvalue"] == pytest.approx(r["pvalue"])
    assert mcnemar_test(y, a, a) == {"only_a": 0, "only_b": 0, "pvalue": 1.0}
    with pytest.raises(ValueError, match="same length"):
        mcnemar_test(y, a[:-1], b)


def test_binomial_test_against_a_fixed_accuracy():
    # 68.71 % of 3,589 against 67.484 %: about 1.6 standard errors, not significant
    assert 0.05 < binomial_test(2466, 3589, 0.67484) < 0.2
    # 70 % would be (the 70 % issue's claim)
    assert binomial_test(2513, 3589, 0.67484) < 0.01
    assert binomial_test(50, 100, 0.5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"accuracy must be in \[0, 1\]"):
        binomial_test(50, 100, 67.5)


def _records(y, accuracies, rng):
    recs = []
    for i, acc in enumerate(accuracies):
        pred = np.where(rng.random(y.size) < acc, y, (y + 1) % 7)
        recs.append({"name": f"p{i}", "published": None, "best_params": {},
                     "public": {"accuracy": acc}, "private_predictions": pred.tolist(),
                     "private": {"accuracy": float(np.mean(pred == y)), "macro_f1": 0.5,
                                 "per_class_recall": [0.5] * 7,
                                 "confusion": confusion_matrix(y, pred, labels=range(7))
                                 .tolist()},
                     "n_train": 10,
                     "timings": {"features": 0.0, "fit": 0.0, "predict": 0.0, "search": 0.0}})
    return recs


def test_significance_pairs_every_pipeline_with_the_best_on_public_test():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 7, 3589)
    recs = _records(y, [0.45, 0.68, 0.66], rng)
    s = significance(recs, y)
    assert s["best"] == "p1" and s["n"] == 3589
    assert s["pipelines"]["p1"]["vs_best"] is None
    assert s["pipelines"]["p0"]["vs_best"]["pvalue"] < 1e-6  # 23 points apart
    expected = mcnemar_test(y, recs[2]["private_predictions"], recs[1]["private_predictions"])
    assert s["pipelines"]["p2"]["vs_best"] == expected
    pub = s["pipelines"]["p1"]["vs_published"]
    assert set(pub) == set(PUBLISHED)
    correct = int(np.sum(np.asarray(recs[1]["private_predictions"]) == y))
    assert pub["ionescu2013"]["difference"] == pytest.approx(correct / 3589 - 0.67484)
    assert pub["ionescu2013"]["pvalue"] == binomial_test(correct, 3589, 0.67484)
    with pytest.raises(ValueError, match=r"\[p0\] has 3588 PrivateTest predictions"):
        significance([{**recs[0], "private_predictions": recs[0]["private_predictions"][:-1]}],
                     y)


def test_tables_carry_the_tests(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 7, 400)
    recs = _records(y, [0.3, 0.7], rng)
    write_tables(recs, tmp_path, dataset={"source": "folder", "description": "d"}, y_true=y)
    md = (tmp_path / "results.md").read_text()
    assert "**Significance**" in md and "vs `p1`" in md and "vs 67.484 %" in md
    assert "| `p1` | (best) |" in md
    assert "p < 0.001 *" in md  # 30 against 70 %
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["significance"] == json.loads(json.dumps(significance(recs, y)))
    import pandas as pd

    csv = pd.read_csv(tmp_path / "results.csv")
    assert np.isnan(csv.loc[1, "pvalue_vs_best"]) and csv.loc[0, "pvalue_vs_best"] < 0.001
    assert {f"pvalue_vs_{k}" for k in PUBLISHED} <= set(csv.columns)
    assert (csv["private_ci_low"] < csv["private_accuracy"]).all()
    # synthetic data: paired tests only, no comparison with the published figures
    write_tables(recs, tmp_path, dataset={"source": "synthetic", "description": "d"}, y_true=y)
    md = (tmp_path / "results.md").read_text()
    assert "vs `p1`" in md and "vs 67.484 %" not in md
    # without labels there is no significance section
    write_tables(recs, tmp_path, dataset={"source": "folder", "description": "d"})
    assert "Significance" not in (tmp_path / "results.md").read_text()
    assert "significance" not in json.loads((tmp_path / "results.json").read_text())
