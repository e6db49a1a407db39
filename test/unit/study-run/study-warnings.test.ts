/**
 * A whole study whose IFI runs are blocked (no weight files) finishes with warnings, not cleanly:
 * `funduslab study` lists each blocked run and the analysis it starved, with the reason and the
 * action that fixes it, and exits with STUDY_WARNINGS_EXIT (3); the JSON result carries the same
 * warnings; the report's Limitations say "not run: no weights" for both IFI strategies and never
 * mention stand-ins. A second call resumes (nothing retrained) and still ends with the warnings. A run
 * that fails is a warning too (exit code 1, as before).
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { STUDY_WARNINGS_EXIT, runStudyCommand } from '../../../src-main/cli/commands/study';
import type { StudyPlanInput, StudyRunResult } from '../../../src-shared/study-plan';
import { captureOutput } from '../../support/cli';
import { demoStudy } from '../../support/studies';

let study: string;
let planFile: string;

beforeAll(async () => {
  study = await demoStudy({ patients: 16, size: 64 });
  const plan: StudyPlanInput = {
    study,
    grid: {
      strategies: ['IWNE-FS', 'IFI-FS', 'IFI-CL'],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, epochs: 1, batchSize: 16, referable: [2, 3, 4] },
    },
    spectra: { datasetId: 'demo', images: 8, fraction: 1, seed: 0 },
    report: { out: 'report.pdf', revealImageIds: false },
  };
  planFile = path.join(path.dirname(study), 'study.json');
  await fsp.writeFile(planFile, JSON.stringify(plan));
}, 120_000);

afterEach(() => vi.restoreAllMocks());

describe('a whole study with blocked IFI runs', () => {
  it('finishes with warnings (reason and fix per item), exit code 3, and the report says what was not run', async () => {
    let io = captureOutput();
    const code = await runStudyCommand([planFile]);
    const text = io.out();
    vi.restoreAllMocks();
    expect(code).toBe(STUDY_WARNINGS_EXIT);
    expect(STUDY_WARNINGS_EXIT).toBe(3);
    expect(text).toContain('Finished with 4 warnings:');
    expect(text).toContain(
      `  run ifi-fs-resnet18-w8-demo-f1-s0: IFI-FS needs ImageNet weights: none is chosen in the study wizard's Weights step`,
    );
    expect(text).toContain(
      "    fix: Choose ImageNet weights (a torchvision ResNet50 .pth file) in the study wizard's Weights step, or use demo stand-in weights; then run the study again",
    );
    expect(text).toContain(
      `  run ifi-cl-resnet18-w8-demo-f1-s0: IFI-CL needs a MoCo v2 ImageNet checkpoint: none is chosen in the study wizard's Weights step`,
    );
    expect(text).toContain('moco_v2_800ep_pretrain.pth.tar');
    expect(text).toContain('  spectra of IFI-FS: no finished IFI-FS run at fraction 1, seed 0');
    expect(text).toContain('  spectra of IFI-CL: no finished IFI-CL run at fraction 1, seed 0');

    // The report's Limitations: exactly what was used — no IFI weights at all, so no stand-in either.
    const pdfText = execFileSync('pdftotext', ['-layout', path.join(study, 'report.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(pdfText).toContain('IFI-FS (supervised ImageNet weights): not run: no weights.');
    expect(pdfText).toContain('IFI-CL (MoCo v2 ImageNet checkpoint): not run: no weights.');
    expect(pdfText).not.toMatch(/stand-in/i);

    // Resumed: nothing trained again, the same warnings in the JSON result, the same exit code.
    io = captureOutput();
    const again = await runStudyCommand([planFile, '--json']);
    const json = JSON.parse(io.out()) as { ok: true; value: StudyRunResult };
    expect(again).toBe(STUDY_WARNINGS_EXIT);
    expect(json.value.runs).toEqual([]);
    expect(json.value.warnings.map((w) => w.item)).toEqual([
      'run ifi-fs-resnet18-w8-demo-f1-s0',
      'run ifi-cl-resnet18-w8-demo-f1-s0',
      'spectra of IFI-FS',
      'spectra of IFI-CL',
    ]);
    expect(json.value.warnings.every((w) => w.reason.length > 0 && w.fix.length > 0)).toBe(true);
  }, 600_000);

  it('a run that fails is a warning with the error and what to do, and the exit code is 1', async () => {
    const bad = path.join(path.dirname(study), 'broken-resnet50.pth');
    await fsp.writeFile(bad, 'not a weights file');
    const plan: StudyPlanInput = {
      study,
      grid: {
        strategies: ['IFI-FS'],
        fractions: [0.5],
        seeds: [0],
        base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, epochs: 1, batchSize: 16, referable: [2, 3, 4] },
        imagenetWeights: bad,
      },
      report: null,
    };
    const file = path.join(path.dirname(study), 'failing.json');
    await fsp.writeFile(file, JSON.stringify(plan));
    const io = captureOutput();
    const code = await runStudyCommand([file, '--json']);
    const json = JSON.parse(io.out()) as { ok: true; value: StudyRunResult };
    expect(code).toBe(1);
    expect(json.value.runs.map((r) => r.status)).toEqual(['failed']);
    expect(json.value.warnings).toHaveLength(1);
    expect(json.value.warnings[0]!.item).toBe('run ifi-fs-resnet18-w8-demo-f0.5-s0');
    expect(json.value.warnings[0]!.reason).toBe(`training failed: ${json.value.runs[0]!.error}`);
    expect(json.value.warnings[0]!.fix).toBe(
      "Open the run's log on the Training page, fix the cause, then run the study again (the run resumes from its last checkpoint)",
    );
  }, 600_000);
});
