#!/usr/bin/python3
"""Golden fixtures for FundusLab's referable-DR metrics (test/golden/metrics/metrics.test.ts).

Run with Debian's Python (numpy 1.24, scipy 1.10, scikit-learn 1.2; NOT the `python3` on PATH):

    /usr/bin/python3 test/golden/metrics/make_fixtures.py

Writes fixtures.json beside this script. Everything is seeded (numpy RandomState); rerunning
rewrites identical values. Floats are written with repr (round-trip exact).

Contents
  softmax   float32 logits (5 per image) -> P(referable) for {3,4} and {2,3,4}: scipy.special.softmax
            in float64, summed over the referable grades.
  erfc      x on a grid over [-6, 26.5] (tails included) -> scipy.special.erfc(x) and the correctly
            rounded value from mpmath at 40 digits (scipy's Cephes erfc itself is off by up to ~1e-14
            relative near x = 26.5, so the 1e-14 check is made against mpmath).
  ndtri     p -> scipy.stats.norm.ppf(p)  (CI quantiles).
  cases     labels + two score vectors (models A and B on the same images), with
              sklearn.metrics.roc_auc_score (A, B)
              sklearn.metrics.roc_curve(A) with drop_intermediate True and False. sklearn 1.2 puts
                thresholds[0] + 1 as the first threshold (>= 1.3 uses +inf).
              operating points from roc_curve(A, drop_intermediate=False): sensitivity/specificity at
                score >= 0.5, the first (highest) threshold with tpr >= 0.9, the argmax of tpr - fpr.
              the fast DeLong reference below (Sun & Xu 2014, the widely used numpy formulation with
                compute_midrank / fastDeLong / calc_pvalue): AUCs, 2x2 covariance, variance of
                A - B, z, two-sided p (2 * norm.sf(|z|)) and log10 p (calc_pvalue's form), and the
                95% / 90% normal CIs (clipped to [0, 1]) and logit CIs for A.
            Cases: tiny hand example, balanced, imbalanced 5% and 95% positives, heavy ties (scores
            on a coarse grid), perfect separation (A: variance 0; B noisy), large n = 4000 rounded
            to 1e-3.
"""
import json
import os

import mpmath
import numpy as np
import scipy
import scipy.special
import scipy.stats
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- fast DeLong reference (numpy) ------------------------------------------------------------
def compute_midrank(x):
    J = np.argsort(x, kind="mergesort")
    Z = x[J]
    N = len(x)
    T = np.zeros(N, dtype=float)
    i = 0
    while i < N:
        j = i
        while j < N and Z[j] == Z[i]:
            j += 1
        T[i:j] = 0.5 * (i + j - 1)
        i = j
    T2 = np.empty(N, dtype=float)
    T2[J] = T + 1
    return T2


def fast_delong(predictions_sorted_transposed, label_1_count):
    """predictions_sorted_transposed: (k, n) with the positives first; returns aucs, covariance."""
    m = label_1_count
    n = predictions_sorted_transposed.shape[1] - m
    positive_examples = predictions_sorted_transposed[:, :m]
    negative_examples = predictions_sorted_transposed[:, m:]
    k = predictions_sorted_transposed.shape[0]
    tx = np.empty([k, m], dtype=float)
    ty = np.empty([k, n], dtype=float)
    tz = np.empty([k, m + n], dtype=float)
    for r in range(k):
        tx[r, :] = compute_midrank(positive_examples[r, :])
        ty[r, :] = compute_midrank(negative_examples[r, :])
        tz[r, :] = compute_midrank(predictions_sorted_transposed[r, :])
    aucs = tz[:, :m].sum(axis=1) / m / n - float(m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx[:, :]) / n
    v10 = 1.0 - (tz[:, m:] - ty[:, :]) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    delongcov = sx / m + sy / n
    return aucs, delongcov


def calc_pvalue(aucs, sigma):
    """log10 of the two-sided p-value."""
    l = np.array([[1, -1]])
    z = np.abs(np.diff(aucs)) / np.sqrt(np.dot(np.dot(l, sigma), l.T))
    return float((np.log10(2) + scipy.stats.norm.logsf(z, loc=0, scale=1) / np.log(10)).ravel()[0])


def delong_paired(labels, a, b):
    order = (-labels).argsort(kind="mergesort")
    m = int(labels.sum())
    preds = np.vstack((a, b))[:, order]
    aucs, cov = fast_delong(preds, m)
    return aucs, cov


def ci(auc, var, level, method):
    se = np.sqrt(var)
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    if se == 0:
        return [float(auc), float(auc)]
    if method == "normal":
        return [float(max(0.0, auc - z * se)), float(min(1.0, auc + z * se))]
    lo = np.log(auc / (1 - auc))
    h = z * se / (auc * (1 - auc))
    return [float(scipy.special.expit(lo - h)), float(scipy.special.expit(lo + h))]


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=float)]


def make_case(name, labels, a, b):
    labels = np.asarray(labels, dtype=int)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = {"name": name, "labels": labels.tolist(), "a": floats(a), "b": floats(b)}
    out["sklearn_auc"] = [float(roc_auc_score(labels, a)), float(roc_auc_score(labels, b))]
    for drop in (True, False):
        fpr, tpr, th = roc_curve(labels, a, drop_intermediate=drop)
        out["roc_drop" if drop else "roc_full"] = {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": floats(th)}
    fpr, tpr, th = roc_curve(labels, a, drop_intermediate=False)
    pos = labels == 1
    called = a >= 0.5
    out["at_0_5"] = {"sensitivity": float(np.mean(called[pos])), "specificity": float(np.mean(~called[~pos]))}
    k = int(np.argmax(tpr >= 0.9))
    out["sens_0_9"] = {"threshold": float(th[k]), "sensitivity": float(tpr[k]), "specificity": float(1 - fpr[k])}
    j = tpr - fpr
    k = int(np.argmax(j))
    out["youden"] = {"threshold": float(th[k]), "sensitivity": float(tpr[k]), "specificity": float(1 - fpr[k]), "j": float(j[k])}
    aucs, cov = delong_paired(labels, a, b)
    var_diff = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    d = {"aucs": floats(aucs), "cov": [floats(r) for r in cov], "var_diff": var_diff}
    if var_diff > 0:
        z = float((aucs[0] - aucs[1]) / np.sqrt(var_diff))
        d["z"] = z
        d["p"] = float(2 * scipy.stats.norm.sf(abs(z)))
        d["log10p"] = calc_pvalue(aucs, cov)
    d["ci"] = {
        f"{method}_{level}": ci(aucs[0], cov[0, 0], level, method) for method in ("normal", "logit") for level in (0.95, 0.9)
    }
    out["delong"] = d
    return out


def main():
    rs = np.random.RandomState(20220614)
    cases = []

    # tiny: hand-checkable, ties across classes
    cases.append(make_case("tiny", [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4], [0.2, 0.3, 0.3, 0.9, 0.1, 0.5]))

    def two_models(n, prevalence, sep, rho=0.6):
        labels = (rs.rand(n) < prevalence).astype(int)
        labels[0], labels[1] = 1, 0  # both classes present
        shared = rs.randn(n)
        a = sep * labels + rho * shared + np.sqrt(1 - rho**2) * rs.randn(n)
        b = 0.8 * sep * labels + rho * shared + np.sqrt(1 - rho**2) * rs.randn(n)
        return labels, scipy.special.expit(a), scipy.special.expit(b)

    labels, a, b = two_models(500, 0.5, 1.2)
    cases.append(make_case("balanced", labels, a, b))
    labels, a, b = two_models(2000, 0.05, 1.5)
    cases.append(make_case("imbalanced_5", labels, a, b))
    labels, a, b = two_models(1000, 0.95, 1.0)
    cases.append(make_case("imbalanced_95", labels, a, b))
    labels, a, b = two_models(3000, 0.3, 1.0)
    cases.append(make_case("heavy_ties", labels, np.round(a * 10) / 10, np.round(b * 5) / 5))
    labels = (rs.rand(200) < 0.4).astype(int)
    a = np.where(labels == 1, 0.6 + 0.4 * rs.rand(200), 0.5 * rs.rand(200))
    b = scipy.special.expit(1.5 * labels + rs.randn(200))
    cases.append(make_case("perfect_separation", labels, a, b))
    labels, a, b = two_models(4000, 0.2, 1.3, rho=0.8)
    cases.append(make_case("large_rounded", labels, np.round(a, 3), np.round(b, 3)))

    # softmax
    logits = (rs.randn(40, 5) * 3).astype(np.float32)
    logits[0] = [100, -100, 0, 50, 60]  # extreme: must not overflow
    logits[1] = [-1000, -1000, -1000, -1000, -999]
    sm = scipy.special.softmax(logits.astype(np.float64), axis=1)
    softmax = {
        "logits": floats(logits.ravel()),
        "ref34": floats(sm[:, 3] + sm[:, 4]),
        "ref234": floats(sm[:, 2] + sm[:, 3] + sm[:, 4]),
        "probabilities": floats(sm.ravel()),
    }

    xs = np.concatenate([np.linspace(-6, 6, 241), np.linspace(6, 26.5, 83), [0.46875, 0.4687, 0.46876, 4.0, 3.9999, 4.0001, 1e-20, -1e-20, 26.54, 0.0]])
    mpmath.mp.dps = 40
    erfc = {"x": floats(xs), "erfc": floats(scipy.special.erfc(xs)), "erfc_mpmath": [float(mpmath.erfc(mpmath.mpf(float(x)))) for x in xs]}
    ps = np.array([1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-10])
    ndtri = {"p": floats(ps), "x": floats(scipy.stats.norm.ppf(ps))}

    fixtures = {
        "versions": {"mpmath": mpmath.__version__, "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "softmax": softmax,
        "erfc": erfc,
        "ndtri": ndtri,
        "cases": cases,
    }
    with open(os.path.join(HERE, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
