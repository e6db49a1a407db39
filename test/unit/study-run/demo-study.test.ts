/**
 * The one-command demo study at its tiny scale (the full scale is the README's main job; its time is
 * measured by hand, see the closing notes): data, stand-in weights, all four strategies on two
 * fractions, evaluation, spectra, robustness, explanations and the report — then a second call
 * resumes without retraining anything and finds its own analysis results (named by their settings)
 * instead of writing them again or beside them. A bad study plan names the field.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import { runDemoStudy } from '../../../src-main/study-run/demo-study';
import { runStudy } from '../../../src-main/study-run/run-study';
import { readStudyPlan } from '../../../src-main/study-run/plan-file';
import { listRuns } from '../../../src-main/services/runs/run-info';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';

let out: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  out = await tempDir('demo-study');
});

describe('demo study (tiny scale)', () => {
  it('runs from data to report, with stand-in weights labelled as such, and resumes without retraining', async () => {
    const ctx = recordingContext();
    const first = await runDemoStudy({ out, scale: 'tiny' }, ctx);
    expect(ctx.messages.join('\n')).toMatch(/SYNTHETIC/);
    // One bar through the whole study (the demo's own data and stand-in phases included): it never goes back, and a training message
    // names its run.
    const fractions = ctx.progress_.map((p) => Number(p.split(' ')[0]!.split('/')[0]) / Number(p.split(' ')[0]!.split('/')[1]));
    const backwards = fractions.filter((f, i) => i > 0 && f < fractions[i - 1]!);
    expect(backwards).toEqual([]);
    expect(ctx.progress_.some((p) => / Training 8 of 8 · IFI-CL 100 % seed 0 · /.test(p))).toBe(true);
    expect(first.runs.map((r) => r.status)).toEqual(Array(8).fill('succeeded')); // 4 strategies × 2 fractions
    const runs = await listRuns(first.study);
    expect(new Set(runs.map((r) => r.spec.strategy))).toEqual(new Set(['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL']));
    expect(runs.every((r) => r.result !== null)).toBe(true);
    expect(first.evaluations).toHaveLength(8);
    expect(first.spectra).toHaveLength(4);
    expect(first.robustness).not.toBeNull();
    expect(first.explanations).toHaveLength(4);
    expect(first.report && existsSync(first.report.pdf)).toBe(true);
    // The plan is kept in the study (the app's wizard reads it back): study ".", absolute paths, the same test sets and analyses.
    const stored = await readStudyPlan(first.study);
    expect(stored).toMatchObject({
      study: '.',
      evaluate: [{ datasetId: 'eyepacs-demo', split: 'test' }],
      spectra: { datasetId: 'eyepacs-demo' },
      explain: { datasetId: 'idrid-demo' },
    });
    expect(stored!.datasets.every((d) => path.isAbsolute(d.path))).toBe(true);
    expect(path.isAbsolute(stored!.grid.imagenetWeights!)).toBe(true);
    expect(stored!.grid.strategies).toEqual(['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL']);
    // The stand-ins say what they are.
    const standin = await readWeightFile(first.standin!.imagenetWeights);
    expect(standin.metadata.standin).toMatch(/NOT ImageNet/);
    const moco = await readWeightFile(first.standin!.mocoWeights);
    expect([...moco.tensors.keys()].some((k) => k.startsWith('module.encoder_q.'))).toBe(true);
    const ifi = runs.find((r) => r.spec.strategy === 'IFI-CL')!;
    expect(ifi.result!.initialisedFrom).toBe(first.standin!.mocoWeights);

    const mtime = (await fsp.stat(path.join(first.study, 'runs', runs[0]!.runId, 'metrics.json'))).mtimeMs;
    // The analysis folders are the runner's names (run, dataset, settings hash), one per request.
    const analysisFolders = async () => {
      const list = async (kind: string) => (await fsp.readdir(path.join(first.study, kind))).filter((n) => !n.startsWith('.')).sort();
      return { spectra: await list('spectra'), robustness: await list('robustness'), explanations: await list('explanations') };
    };
    const folders = await analysisFolders();
    expect(folders).toEqual({
      spectra: [...first.spectra].sort(),
      robustness: [first.robustness],
      explanations: [...first.explanations].sort(),
    });
    for (const name of first.explanations) expect(name).toMatch(/__idrid-demo__[0-9a-f]{8}$/);
    const resultMtime = (await fsp.stat(path.join(first.study, 'explanations', first.explanations[0]!, 'result.json'))).mtimeMs;
    const again = await runDemoStudy({ out, scale: 'tiny' }, recordingContext());
    // The rerun found its own results: the same names, nothing rewritten, nothing beside them.
    expect(await analysisFolders()).toEqual(folders);
    expect([again.spectra, again.robustness, again.explanations]).toEqual([first.spectra, first.robustness, first.explanations]);
    expect((await fsp.stat(path.join(first.study, 'explanations', first.explanations[0]!, 'result.json'))).mtimeMs).toBe(resultMtime);
    expect(again.runs).toEqual([]); // nothing left to train
    expect((await fsp.stat(path.join(first.study, 'runs', runs[0]!.runId, 'metrics.json'))).mtimeMs).toBe(mtime);
    expect(again.report!.pages).toBeGreaterThan(3);
  }, 300_000);

  it('a study plan with a bad field is refused, naming it', async () => {
    await expect(runStudy({ study: out, grid: { fractions: [2] } } as never, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'grid.fractions.0' }],
    });
    await expect(runStudy({ study: out, grid: {}, datasets: [{ type: 'nonsense' }] } as never, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'datasets.0' }],
    });
  });
});
