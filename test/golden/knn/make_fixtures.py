#!/usr/bin/python3
"""Golden fixtures for FundusLab's k-NN classifier (src-main/services/evaluation/metrics/knn.ts).

Run with Debian's Python (scikit-learn 1.2, numpy 1.24; NOT the `python3` on PATH):

    /usr/bin/python3 test/golden/knn/make_fixtures.py

Writes fixtures.json beside this script; everything is seeded, so rerunning rewrites the same file.

Each case: float32 features [n, d], binary labels, a group (patient) per sample, k. For every
sample i, sklearn.neighbors.KNeighborsClassifier(n_neighbors=k, metric='cosine', algorithm='brute',
weights='uniform') is fitted on the samples of the OTHER groups and predicts sample i
(leave-one-group-out): the fixture stores predict() and predict_proba()[:, 1] (the share of
label 1). One case has four classes (the texture classes of the demo's stand-in pretraining). Cases whose k-th and
(k+1)-th distances tie within 1e-12 are rejected (sklearn's order there is unspecified), so the
features are continuous random vectors, with one case of clustered features (two classes around
two directions) as a representation that has learned something.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics.pairwise import cosine_distances
from sklearn.neighbors import KNeighborsClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def make_case(name, rng, n, d, k, clustered, with_groups, classes=2):
    if classes > 2:
        labels = rng.randint(0, classes, n).astype(np.int64)
        centres = rng.standard_normal((classes, d))
        x = centres[labels] + 2.0 * rng.standard_normal((n, d))
    elif clustered:
        labels = (rng.random(n) < 0.3).astype(np.int64)
        centres = rng.standard_normal((2, d))
        x = centres[labels] + 1.5 * rng.standard_normal((n, d))
    else:
        labels = (rng.random(n) < 0.4).astype(np.int64)
        x = rng.standard_normal((n, d))
    x = x.astype(np.float32)
    groups = (np.arange(n) // 2) if with_groups else np.arange(n)  # two eyes per patient, or one image each
    preds, share = [], []
    for i in range(n):
        train = groups != groups[i]
        xi = x[i : i + 1].astype(np.float64)
        xt = x[train].astype(np.float64)
        dist = np.sort(cosine_distances(xi, xt)[0])
        if abs(dist[k] - dist[k - 1]) < 1e-12:
            raise SystemExit(f'{name}: tie at the k-th distance for sample {i}; change the seed')
        clf = KNeighborsClassifier(n_neighbors=k, metric='cosine', algorithm='brute', weights='uniform')
        clf.fit(xt, labels[train])
        preds.append(int(clf.predict(xi)[0]))
        proba = clf.predict_proba(xi)[0]
        share.append(float(proba[list(clf.classes_).index(1)]) if 1 in clf.classes_ else 0.0)
    return {
        'name': name,
        'n': n,
        'd': d,
        'k': k,
        'features': [float(v) for v in x.reshape(-1)],
        'labels': [int(v) for v in labels],
        'groups': [int(g) for g in groups],
        'predictions': preds,
        'positiveShare': share,
    }


def main():
    rng = np.random.RandomState(20261206)
    cases = [
        make_case('random-k20-patients', rng, 120, 16, 20, clustered=False, with_groups=True),
        make_case('clustered-k20-patients', rng, 160, 32, 20, clustered=True, with_groups=True),
        make_case('random-k5-single-images', rng, 60, 8, 5, clustered=False, with_groups=False),
        make_case('four-classes-k20-single-images', rng, 120, 16, 20, clustered=True, with_groups=False, classes=4),
    ]
    out = {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'cases': cases}
    with open(os.path.join(HERE, 'fixtures.json'), 'w') as f:
        json.dump(out, f)
        f.write('\n')


if __name__ == '__main__':
    main()
