/**
 * The pretraining learning check's pieces (src-main/services/training/learning-check.ts): the
 * warning rules (loss within 5 % of ln(1 + K); a k-NN gain that is not positive; a check that could
 * not run), the k-NN scores (AUC of the neighbour share, balanced accuracy) against a naive
 * computation, and the seeded sample.
 */
import { describe, expect, it } from 'vitest';
import { knnScore, learningWarnings, sampleItems } from '../../../src-main/services/training/learning-check';

const base = { chanceLoss: Math.log(65), images: 100, metric: 'auc' as const };
const s = (auc: number) => ({ auc, balancedAccuracy: 0.5, accuracy: 0.5 });

describe('learning warnings', () => {
  it('loss within 5 % of chance warns; below does not', () => {
    expect(learningWarnings({ ...base, finalLoss: 0.96 * Math.log(65), gain: 0.1, pretrained: s(0.7), random: s(0.6) })).toEqual([
      expect.stringMatching(/^The MoCo loss ended at 4\.007, within 5 % of chance \(ln\(1 \+ K\) = 4\.174\)/),
    ]);
    expect(learningWarnings({ ...base, finalLoss: 0.94 * Math.log(65), gain: 0.1, pretrained: s(0.7), random: s(0.6) })).toEqual([]);
  });

  it('a gain of 0 or less warns, naming both scores; an unmeasurable gain warns too', () => {
    expect(learningWarnings({ ...base, finalLoss: 2, gain: 0, pretrained: s(0.6), random: s(0.6) })).toEqual([
      "The pretrained encoder's k-NN AUC (0.600) is not above that of the random encoder it started from (0.600): its features separate the classes no better than untrained ones.",
    ]);
    expect(learningWarnings({ ...base, finalLoss: 2, gain: null, pretrained: null, random: null })[0]).toMatch(/could not be measured/);
  });
});

describe('k-NN scores', () => {
  it('AUC of the referable share and balanced accuracy equal a naive computation', () => {
    // Two tight clusters per class in 2-D, 2 images per patient: the k-NN gets nearly all right.
    const n = 40;
    const labels = Array.from({ length: n }, (_, i) => (i < 20 ? 0 : 1));
    const features = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const angle = (labels[i] ? 1.2 : 0.2) + 0.01 * ((i * 7) % 13);
      features[2 * i] = Math.cos(angle);
      features[2 * i + 1] = Math.sin(angle);
    }
    const groups = labels.map((_, i) => `p${Math.floor(i / 2)}`);
    const score = knnScore(features, 2, labels, groups, 5);
    expect(score).toEqual({ auc: 1, balancedAccuracy: 1, accuracy: 1 });
    // Flipping the labels of one class' images the classifier still predicts by its neighbours: half right, half wrong.
    const mixed = labels.map((y, i) => (i % 4 === 0 ? 1 - y : y));
    const m = knnScore(features, 2, mixed, groups, 5);
    expect(m.accuracy).toBeCloseTo(30 / 40, 12);
    expect(m.balancedAccuracy).toBeGreaterThan(0.5);
    expect(m.auc).toBeGreaterThan(0.5);
  });

  it('no AUC for class labels other than 0/1', () => {
    const f = new Float32Array([1, 0, 1, 0.1, 0, 1, 0.1, 1, -1, 0, -1, 0.1]);
    expect(knnScore(f, 2, [0, 0, 1, 1, 2, 2], ['a', 'b', 'c', 'd', 'e', 'f'], 1)).toMatchObject({
      auc: null,
      accuracy: 1,
      balancedAccuracy: 1,
    });
  });
});

describe('sampling', () => {
  it('keeps everything up to the cap, else a seeded sample in the original order', () => {
    expect(sampleItems([1, 2, 3], 5, 0)).toEqual({ items: [1, 2, 3], sampled: false });
    const a = sampleItems([...Array(100).keys()], 10, 7);
    expect(a.sampled).toBe(true);
    expect(a.items).toHaveLength(10);
    expect([...a.items].sort((x, y) => x - y)).toEqual(a.items);
    expect(sampleItems([...Array(100).keys()], 10, 7)).toEqual(a);
    expect(sampleItems([...Array(100).keys()], 10, 8).items).not.toEqual(a.items);
  });
});
