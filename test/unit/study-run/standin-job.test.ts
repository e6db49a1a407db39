/**
 * "Use demo stand-in weights" from the app: the `weights.standin` job derives the two stand-ins in the
 * study from the synthetic texture set, as `study --demo` does, for the grid's architecture and input
 * size; both files say in their metadata that they are stand-ins (the MoCo one too), and a second
 * job reuses them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import type { ComposedApp } from '../../../src-main/host/compose';
import type { StandinResult } from '../../../src-shared/weights';
import { callChannel, testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';
import { makeStudy } from '../../support/studies';

let app: ComposedApp;
let study: string;
beforeAll(async () => {
  app = testApp({ dataDir: tempDirSync('standin-app'), preferredBackend: 'cpu' });
  study = await makeStudy();
});
afterAll(() => app.shutdown());

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('weights.standin job', () => {
  it('derives both stand-ins in the study, labelled as stand-ins, and reuses them on a second call', async () => {
    const request = { kind: 'weights.standin', params: { arch: 'resnet18-w8', inputSize: 32, scale: 'tiny' }, studyPath: study };
    const job = (await callChannel(app, 'jobs.submit', request)) as { id: string };
    const done = await app.jobs.waitFor(job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    const result = done.result as StandinResult;
    const dir = path.join(study, 'standin-weights', 'resnet18-w8-32-tiny');
    expect(result.imagenetWeights).toBe(path.join(dir, 'imagenet-standin.safetensors'));
    expect(result.mocoWeights).toBe(path.join(dir, 'moco-standin.safetensors'));
    expect(result.classes).toBe(10);
    expect(result.images).toBe(60); // 6 textures per class at the tiny scale, as the tiny demo study
    expect(existsSync(path.join(study, 'demo-data', 'textures', 'labels.csv'))).toBe(true);
    for (const f of [result.imagenetWeights, result.mocoWeights])
      expect((await readWeightFile(f)).metadata.standin).toBe('DEMO STAND-IN: derived from FundusLab synthetic textures, NOT ImageNet');
    expect(done.log.some((l) => l.includes('not ImageNet'))).toBe(true);
    const before = [sha(result.imagenetWeights), sha(result.mocoWeights)];

    const again = await app.jobs.waitFor(((await callChannel(app, 'jobs.submit', request)) as { id: string }).id);
    expect(again.result).toMatchObject({ imagenetWeights: result.imagenetWeights, mocoWeights: result.mocoWeights });
    expect([sha(result.imagenetWeights), sha(result.mocoWeights)]).toEqual(before);
  }, 600_000);
});
