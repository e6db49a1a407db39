/**
 * Analysis image counts (src-renderer/shared/analysis-images.viewmodel.ts and the wizard's clampAnalyses): what a dataset
 * holds for each analysis, clamping to it, the default from the study's last use, and a change of dataset.
 */
import { describe, expect, it } from 'vitest';
import {
  clampImages,
  clampImagesText,
  countFieldText,
  defaultImages,
  explanationUse,
  imagesAvailable,
  imagesForDataset,
  latestUse,
  planUse,
  robustnessUse,
  spectraUse,
} from '../../../src-renderer/shared/analysis-images.viewmodel';
import {
  checkAnalyses,
  clampAnalyses,
  defaultAnalyses,
  startAnalyses,
} from '../../../src-renderer/features/training/study-wizard/study-wizard.viewmodel';
import { StudyPlan } from '../../../src-shared/study-plan';
import { readableDataset } from './dataset-fixture';

// 40 train + 10 test images (all graded); a set without a test split (30 images, 20 graded); a masked set of 5 images.
const eyepacs = readableDataset('eyepacs');
const messidor = readableDataset('messidor', {
  items: 30,
  splits: { none: 30 },
  perSplitGrade: { none: { '0': 12, '2': 4, '4': 4, ungradable: 10 } },
});
const idrid = readableDataset('idrid', { items: 5, splits: { none: 5 }, perSplitGrade: { none: { ungraded: 5 } }, masks: { MA: 5 } });
const all = [eyepacs, messidor, idrid];

describe('what a dataset holds for an analysis', () => {
  it('counts as the analyses choose their images, with the count as the form shows it', () => {
    expect(imagesAvailable(all, 'eyepacs', 'spectra')).toEqual({ images: 10, text: '10 images in test' });
    expect(imagesAvailable(all, 'eyepacs', 'robustness')).toEqual({ images: 10, text: '10 graded images in test' });
    expect(imagesAvailable(all, 'messidor', 'spectra')).toEqual({ images: 30, text: '30 images in all splits' });
    expect(imagesAvailable(all, 'messidor', 'robustness')).toEqual({ images: 20, text: '20 graded images in all splits' });
    expect(imagesAvailable(all, 'idrid', 'explain')).toEqual({ images: 5, text: '5 images in idrid' });
    expect(imagesAvailable(all, 'eyepacs', 'explain')).toEqual({ images: 50, text: '50 images in eyepacs' });
    expect(imagesAvailable(all, 'gone', 'spectra')).toBeNull();
    expect(imagesAvailable(null, 'eyepacs', 'spectra')).toBeNull();
  });
});

describe('clamping', () => {
  it('clamps a count above what the dataset holds, and leaves the rest for the form’s own check', () => {
    expect(clampImagesText('256', 40)).toBe('40');
    expect(clampImagesText('41', 40)).toBe('40');
    expect(clampImagesText('40', 40)).toBe('40');
    expect(clampImagesText('39', 40)).toBe('39');
    expect(clampImagesText('1', 40)).toBe('1'); // below the minimum: the check says so
    expect(clampImagesText('', 40)).toBe(''); // empty: every image (explanations) or the check's error
    expect(clampImagesText('abc', 40)).toBe('abc');
    expect(clampImagesText('2.5', 2)).toBe('2.5');
    expect(clampImagesText('500', null)).toBe('500'); // unknown dataset: nothing to clamp to
    expect(clampImages(256, 40)).toBe(40);
    expect(clampImages(12, 40)).toBe(12);
    expect(clampImages(null, 40)).toBeNull();
  });

  it('clamps the wizard’s analyses to their datasets, and checks a dataset too small for the analysis', () => {
    const form = defaultAnalyses(all, 'eyepacs');
    expect(form.spectra.images).toBe('256');
    const clamped = clampAnalyses({ ...form, explain: { ...form.explain, images: '9' } }, all);
    expect(clamped.spectra.images).toBe('10');
    expect(clamped.robustness.images).toBe('10');
    expect(clamped.explain.images).toBe('5');
    expect(clampAnalyses(form, all).explain.images).toBeUndefined(); // every image stays every image
    expect(checkAnalyses(clamped, all)).toEqual({});
    const tiny = readableDataset('tiny', { items: 4, splits: { train: 2, test: 2 } });
    const onTiny = { ...clamped, spectra: { ...clamped.spectra, datasetId: 'tiny', images: '3' } };
    expect(checkAnalyses(onTiny, [...all, tiny]).spectra).toBe('tiny has 2 images in test: spectra need at least 3.');
    expect(checkAnalyses({ ...clamped, explain: { ...clamped.explain, images: '0' } }, all).explain).toBe(
      'Images: a whole number from 1 to 100,000, or empty for every image',
    );
  });
});

describe('defaults from the last use', () => {
  const plan = { datasetId: 'eyepacs', images: 8, at: '' };
  const result = { datasetId: 'eyepacs', images: 12, at: '2026-12-06T10:00:00Z' };
  const older = { datasetId: 'messidor', images: 30, at: '2026-12-05T10:00:00Z' };

  it('starts from what the study used last time (the latest result, else the plan), else the usual count, clamped', () => {
    expect(latestUse([plan, result, older])).toEqual(result);
    expect(latestUse([plan, null, undefined])).toEqual(plan);
    expect(latestUse([])).toBeNull();
    expect(defaultImages('robustness', result, 40)).toBe(12);
    expect(defaultImages('robustness', result, 10)).toBe(10);
    expect(defaultImages('robustness', null, 40)).toBe(40); // usual 200, the split holds 40
    expect(defaultImages('spectra', null, 1000)).toBe(256);
    expect(defaultImages('spectra', null, null)).toBe(256);
    expect(defaultImages('explain', null, 6)).toBeNull(); // every image
    expect(defaultImages('explain', { ...result, images: 3 }, 6)).toBe(3);
  });

  it('follows a change of dataset: a count that was all the old one held starts again from the default, another is clamped', () => {
    // 10 was everything eyepacs's test split held: on a set with 30, the usual 256 clamped again.
    expect(imagesForDataset('10', 'spectra', 10, 30, null)).toBe('30');
    expect(imagesForDataset('10', 'spectra', 10, 1000, null)).toBe('256');
    expect(imagesForDataset('10', 'spectra', 10, 1000, result)).toBe('12'); // the last use first
    // A count the user chose below the old maximum stays, clamped to the new one.
    expect(imagesForDataset('8', 'spectra', 10, 30, null)).toBe('8');
    expect(imagesForDataset('25', 'spectra', 40, 20, null)).toBe('20');
    expect(imagesForDataset('', 'explain', 5, 50, null)).toBe(''); // every image stays every image
    expect(imagesForDataset('abc', 'spectra', 10, 30, null)).toBe('abc');
  });
});

describe('the wizard and the run forms start from the last use', () => {
  const plan = StudyPlan.parse({
    study: '.',
    grid: { strategies: ['IWNE-FS'], base: { datasetId: 'eyepacs' } },
    spectra: { datasetId: 'eyepacs', images: 300 },
    explain: { datasetId: 'idrid', images: 2 },
  });

  it('reads the uses a plan and the results record', () => {
    expect(planUse(plan, 'spectra')).toEqual({ datasetId: 'eyepacs', images: 300, at: '' });
    expect(planUse(plan, 'robustness')).toBeNull();
    expect(planUse(null, 'spectra')).toBeNull();
    expect(spectraUse({ dataset: { datasetId: 'eyepacs', imageIds: ['a', 'b', 'c'] }, created: 't1' })).toEqual({
      datasetId: 'eyepacs',
      images: 3,
      at: 't1',
    });
    expect(robustnessUse({ datasetId: 'eyepacs', images: 7, createdAt: 't2' })).toEqual({ datasetId: 'eyepacs', images: 7, at: 't2' });
    const explained = { dataset: { datasetId: 'idrid' }, images: [1, 2], createdAt: 't3' };
    expect(explanationUse({ ...explained, request: { images: 2 } }).images).toBe(2);
    expect(explanationUse({ ...explained, request: {} }).images).toBeNull(); // every image
  });

  it('the wizard: the stored plan (clamped), else the latest results’ counts, else the defaults', () => {
    const fromPlan = startAnalyses(plan, all, 'eyepacs', { spectra: { datasetId: 'eyepacs', images: 4, at: 't' } });
    expect(fromPlan.spectra.images).toBe('10'); // the plan's 300, clamped to the 10 test images; the results do not override a plan
    expect(fromPlan.explain.images).toBe('2');
    const fromResults = startAnalyses(null, all, 'eyepacs', {
      spectra: { datasetId: 'eyepacs', images: 4, at: 't' },
      robustness: { datasetId: 'eyepacs', images: 99, at: 't' },
      explain: { datasetId: 'idrid', images: null, at: 't' },
    });
    expect(fromResults.spectra.images).toBe('4');
    expect(fromResults.robustness.images).toBe('10'); // 99 clamped
    expect(fromResults.explain.images).toBe(''); // every image
    expect(startAnalyses(null, all, 'eyepacs').spectra.images).toBe('10'); // the usual 256, clamped
  });

  it('a page’s run form: the default until typed, the typed count for its dataset, refitted on another', () => {
    const used = { datasetId: 'eyepacs', images: 6, at: 't' };
    expect(countFieldText(null, 'eyepacs', 'spectra', all, used)).toBe('6');
    expect(countFieldText(null, 'eyepacs', 'spectra', all, null)).toBe('10');
    expect(countFieldText(null, 'messidor', 'spectra', all, null)).toBe('30');
    expect(countFieldText(null, null, 'spectra', all, null)).toBe('256'); // no dataset chosen yet
    expect(countFieldText({ datasetId: 'eyepacs', text: '7' }, 'eyepacs', 'spectra', all, used)).toBe('7');
    expect(countFieldText({ datasetId: 'messidor', text: '25' }, 'eyepacs', 'spectra', all, used)).toBe('10');
    expect(countFieldText({ datasetId: 'eyepacs', text: '10' }, 'messidor', 'spectra', all, null)).toBe('30');
    expect(countFieldText(null, 'idrid', 'explain', all, null)).toBe('');
  });
});
