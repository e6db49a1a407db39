#!/usr/bin/python3
"""Golden fixtures for the spectra (src-main/analysis/spectra): run with Debian's reference libraries,

    /usr/bin/python3 test/golden/spectra/make_fixtures.py

(numpy 1.24, scipy 1.10, scikit-learn 1.2: apt-get install python3-sklearn python3-scipy). Writes
fixtures.json beside this script. The tests never need Python.

1. pca: activation matrices (N images x F features, float32 values, little-endian base64) of a few
   "layers" - correlated features, constant features (zero and non-zero constants), fewer features
   than images, a large mean with a small spread, few images - with scikit-learn's
   StandardScaler().fit_transform + PCA(n_components=k, svd_solver='full').explained_variance_
   (k = min(100, N - 1, F)) and numpy.percentile(lambda, [99.9, 90]) / kappa.
2. moments: integer-weighted rank samples (ranks 1..k, weights w) as numpy.repeat, mirrored
   (+-r, w each side): scipy.stats.kurtosis (Fisher, biased - the defaults), and numpy.histogram
   density of the one-sided sample.
3. fits: samples (Pareto, log-normal, Student t, and an integer-weighted rank sample given as values
   + weights and fitted by scipy on numpy.repeat) with, for each of the 11 distributions, scipy's
   `<dist>.fit(data)` parameters (loc and scale free), the log-likelihood sum(logpdf) at them, the
   RSS between numpy.histogram(data, bins, density=True) and the pdf at the bin centres, and the
   starting point `_fitstart(data)` of the generic fit.
"""
import base64
import json
import os
import warnings

import numpy as np
import scipy
import scipy.stats as st
import sklearn
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
DISTS = ['norm', 'expon', 'pareto', 'dweibull', 't', 'genextreme', 'gamma', 'lognorm', 'beta', 'uniform', 'loggamma']


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


def pca_case(name, x32, k=100, percentiles=(99.9, 90)):
    x32 = np.asarray(x32, dtype=np.float32)  # the values the test reads back
    n, f = x32.shape
    k = min(k, n - 1, f)
    x = x32.astype(np.float64)
    z = StandardScaler().fit_transform(x)
    lam = PCA(n_components=k, svd_solver='full').fit(z).explained_variance_
    hi, lo = np.percentile(lam, list(percentiles))
    constant = int(np.sum(np.all(x == x[0:1, :], axis=0)))
    return {
        'name': name, 'n': n, 'features': f, 'k': k, 'data': b64(x32), 'constantFeatures': constant,
        'explainedVariance': lam.tolist(), 'percentiles': list(percentiles), 'pHigh': float(hi), 'pLow': float(lo),
        'kappa': float(abs(hi) / abs(lo)),
    }


def make_pca(rng):
    cases = []
    # Correlated features: 6 latent factors with a decaying spectrum + noise, plus ReLU-like zeros.
    n, f = 40, 300
    latent = rng.normal(size=(n, 6)) * np.array([5, 3, 2, 1, 0.5, 0.25])
    x = latent @ rng.normal(size=(6, f)) + 0.3 * rng.normal(size=(n, f)) + rng.normal(size=f) * 2
    cases.append(pca_case('correlated', np.maximum(x, -1.0).astype(np.float32)))
    # Constant features: 5 all-zero (dead ReLU), 3 equal to 3.7, 2 equal to -1e3.
    x = rng.gamma(2.0, size=(40, 25)).astype(np.float32)
    x[:, 3:8] = 0
    x[:, 10:13] = np.float32(3.7)
    x[:, 20:22] = np.float32(-1000.0)
    cases.append(pca_case('constant-features', x))
    # Fewer features than images - 1: k = F.
    cases.append(pca_case('few-features', rng.normal(size=(40, 7)).astype(np.float32) * np.arange(1, 8)))
    # Large mean, small spread (standardisation in float64 must not lose it).
    x = (1000.0 + 0.05 * (rng.normal(size=(40, 50)) @ rng.normal(size=(50, 50)))).astype(np.float32)
    cases.append(pca_case('large-mean', x))
    # Few images: k = N - 1; other percentiles.
    cases.append(pca_case('few-images', rng.normal(size=(12, 64)).astype(np.float32), percentiles=(95.0, 50.0)))
    return cases


def make_moments(rng):
    out = []
    for k, p, bins in [(30, 1.3, 30), (100, 0.8, 100), (17, 2.0, 7)]:
        w = np.round(400 * np.arange(1, k + 1) ** -p).astype(int) + rng.integers(0, 3, size=k)
        ranks = np.arange(1, k + 1)
        one_sided = np.repeat(ranks, w)
        mirrored = np.concatenate([np.repeat(-ranks, w), np.repeat(ranks, w)])
        dens, edges = np.histogram(one_sided, bins=bins, density=True)
        out.append({
            'weights': w.tolist(), 'bins': bins,
            'kurtosisMirrored': float(st.kurtosis(mirrored)),
            'kurtosisMirroredPearson': float(st.kurtosis(mirrored, fisher=False)),
            'kurtosisOneSided': float(st.kurtosis(one_sided)), 'skewOneSided': float(st.skew(one_sided)),
            'histogramEdges': edges.tolist(), 'histogramDensity': dens.tolist(),
        })
    return out


def fit_case(name, values, weights, bins):
    data = np.repeat(values, weights) if weights is not None else values
    dens, edges = np.histogram(data, bins=bins, density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    fits = {}
    for dname in DISTS:
        dist = getattr(st, dname)
        entry = {}
        try:
            if dname not in ('norm', 'expon', 'uniform'):
                entry['fitstart'] = [float(v) for v in dist._fitstart(data)]
            if dname == 'beta':
                # fsolve's start solves skew/kurtosis equations; record how well (it can stop short).
                a, b = entry['fitstart'][:2]
                g1, g2 = st.skew(data), st.kurtosis(data)
                sk = 2 * (b - a) * np.sqrt(a + b + 1) / (a + b + 2) / np.sqrt(a * b)
                ku = 6 * (a**3 - a**2 * (2 * b - 1) + b**2 * (b + 1) - 2 * a * b * (b + 2)) / (a * b * (a + b + 2) * (a + b + 3))
                entry['fitstartResidual'] = float(np.hypot(sk - g1, ku - g2))
        except Exception as e:  # noqa: BLE001
            entry['fitstartError'] = str(e)
        try:
            params = dist.fit(data)
            pdf = dist.pdf(centres, *params)
            ll = float(np.sum(dist.logpdf(data, *params)))
            entry.update({'params': [float(v) for v in params], 'logLikelihood': ll if np.isfinite(ll) else None,
                          'rss': float(np.sum((dens - pdf) ** 2))})
        except Exception as e:  # noqa: BLE001
            entry['error'] = str(e)
        fits[dname] = entry
    ranked = sorted([d for d in DISTS if 'rss' in fits[d]], key=lambda d: fits[d]['rss'])
    return {
        'name': name, 'values': [float(v) for v in values], 'weights': None if weights is None else [int(w) for w in weights],
        'bins': bins, 'histogramDensity': dens.tolist(), 'fits': fits, 'ranking': ranked,
    }


def make_fits(rng):
    cases = [
        fit_case('pareto', st.pareto.rvs(2.5, loc=-0.3, scale=1.2, size=400, random_state=rng), None, 50),
        fit_case('lognorm', st.lognorm.rvs(0.6, loc=0.5, scale=2.0, size=300, random_state=rng), None, 40),
        fit_case('t', st.t.rvs(5, loc=1.0, scale=0.7, size=300, random_state=rng), None, 40),
    ]
    ranks = np.arange(1, 41)
    w = np.round(300 * ranks ** -1.4).astype(int) + 1
    cases.append(fit_case('weighted-ranks', ranks.astype(float), w, 40))
    return cases


def main():
    rng = np.random.default_rng(20220)
    out = {
        'generator': 'test/golden/spectra/make_fixtures.py',
        'versions': {'numpy': np.__version__, 'scipy': scipy.__version__, 'sklearn': sklearn.__version__},
        'pca': make_pca(rng), 'moments': make_moments(rng), 'fits': make_fits(rng),
    }
    with open(os.path.join(HERE, 'fixtures.json'), 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    main()
