/**
 * Resume after a re-import: a run trained on dataset `demo` and stopped after epoch 1 is refused
 * when `demo` was imported again from another folder (naming the run, the dataset, both contents
 * and what changed), and its folder stays byte-identical; a run folder without a split record
 * (trained before runs recorded one) still resumes on an unchanged dataset and says its split
 * could not be checked; a finished run asked for again after the re-import is refused the same way.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { datasetContentHash, StoredRunSplit } from '../../../src-main/services/runs/identity';
import { runTraining } from '../../../src-main/services/training';
import { AppError } from '../../../src-shared/errors';
import { recordingContext } from '../../support/job-context';
import { demoSpec } from '../../support/studies';
import { demoSource, importAs, snapshot, studyWith } from './studies';

const spec = demoSpec({ arch: 'resnet18-w4', inputSize: 32, epochs: 2, batchSize: 8 });
let study: string;
let other: string;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await studyWith(await demoSource('identity-a', { patients: 16, seed: 7 }));
  other = await demoSource('identity-b', { patients: 12, seed: 99 });
}, 120_000);

/** Trains run `runId` of `spec` and stops it (as a kill would) once epoch 1 is checkpointed. */
async function stopAfterEpoch1(runId: string): Promise<void> {
  const ctx = recordingContext();
  await expect(runTraining(spec, study, ctx, { runId, onEpoch: () => ctx.controller.abort() })).rejects.toMatchObject({
    code: 'CANCELLED',
  });
}

describe('resuming a run whose dataset was imported again', () => {
  it('a run folder without a split record resumes on the unchanged dataset and says its split could not be checked', async () => {
    await stopAfterEpoch1('legacy');
    const files = path.join(study, 'runs', 'legacy');
    await fsp.rm(path.join(files, 'split.json'));
    const ctx = recordingContext();
    const result = await runTraining(spec, study, ctx, { runId: 'legacy' });
    expect(result.resumedFromEpoch).toBe(1);
    expect(result.finalEpoch).toBe(2);
    expect(ctx.messages.some((m) => /^Run legacy recorded no split \(.*split\.json is missing/.test(m))).toBe(true);
    expect(ctx.messages).toContain('Resuming run legacy after epoch 1');
  });

  it('the run records the dataset content and the training and validation ids it uses', async () => {
    await stopAfterEpoch1('killed');
    const split = StoredRunSplit.parse(JSON.parse(await fsp.readFile(path.join(study, 'runs', 'killed', 'split.json'), 'utf8')));
    expect(split.datasetId).toBe('demo');
    expect(split.datasetHash).toBe(await datasetContentHash(study, 'demo'));
    expect(split.images).toBe(32);
    expect(split.train.length).toBeGreaterThan(0);
    expect(split.validation.length).toBeGreaterThan(0);
    expect(split.train.filter((id) => split.validation.includes(id))).toEqual([]);
  });

  it('after a re-import from another folder, the resume is refused naming the run, the dataset and what changed; the run is untouched', async () => {
    const runDir = path.join(study, 'runs', 'killed');
    const before = await snapshot(runDir);
    const oldHash = (await datasetContentHash(study, 'demo'))!;
    await importAs(study, other, 'demo');
    const newHash = (await datasetContentHash(study, 'demo'))!;
    expect(newHash).not.toBe(oldHash);

    const ctx = recordingContext();
    const error = await runTraining(spec, study, ctx, { runId: 'killed' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    const message = (error as AppError).message;
    expect(message).toContain(
      `Run killed was trained on dataset demo with content ${oldHash.slice(0, 12)}… (32 images); the dataset now has content ${newHash.slice(0, 12)}… (24 images): its images, grades or splits changed since the run started`,
    );
    expect(message).toMatch(/the training items changed \(\d+ added, \d+ removed\)/);
    expect(message).toMatch(/Start it again under a new id \(--run-id [a-z0-9.-]+\) or restore the dataset\.$/);
    expect(ctx.messages.some((m) => m.startsWith('Resuming run'))).toBe(false);
    expect(await snapshot(runDir)).toEqual(before);
    expect(existsSync(path.join(runDir, 'metrics.json'))).toBe(false);
  });

  it('a finished run asked for again after the re-import is refused too, instead of handing back its result as current', async () => {
    const runDir = path.join(study, 'runs', 'legacy');
    expect(existsSync(path.join(runDir, 'metrics.json'))).toBe(true);
    const before = await snapshot(runDir);
    const ctx = recordingContext();
    const error = await runTraining(spec, study, ctx, { runId: 'legacy' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    expect((error as AppError).message).toMatch(
      /^Run legacy was trained on dataset demo with content [0-9a-f]{12}…; the dataset now has content/,
    );
    expect(ctx.messages.some((m) => /already finished/.test(m))).toBe(false);
    expect(await snapshot(runDir)).toEqual(before);
  });
});
