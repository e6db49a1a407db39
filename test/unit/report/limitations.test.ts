/**
 * The report's Limitations name exactly the weights each IFI strategy started from: the file name and
 * its SHA-256 for real weights, "demo stand-in (synthetic textures, not ImageNet)" only for a stand-in
 * (its safetensors metadata says so), "not run: no weights" when the strategy has no runs — and
 * never the word stand-in when none was used. The hashes are computed here independently of the report.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ifiWeightsLines } from '../../../src-main/report/sections/limitations';
import { writeSafetensors } from '../../../src-main/engine/weights/safetensors';
import type { RunWithStanding } from '../../../src-main/services/runs/run-info';
import type { GridSpec } from '../../../src-shared/grid';
import { tempDir } from '../../support/files';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const run = (strategy: string, pretrainedWeights?: string) =>
  ({ runId: strategy.toLowerCase(), spec: { strategy, seed: 0, pretrainedWeights } }) as unknown as RunWithStanding;
const grid = (over: Partial<GridSpec> = {}) => ({ strategies: ['IWNE-FS', 'IFI-FS', 'IFI-CL'], ...over }) as GridSpec;

describe('Limitations: the weights of the IFI strategies', () => {
  it('real weights: file name and SHA-256, no stand-in', async () => {
    const dir = await tempDir('limits');
    const fsBytes = new Uint8Array([0x80, 2, 1, 2, 3, 4, 5]);
    const clBytes = new Uint8Array([0x80, 2, 9, 8, 7]);
    await fsp.writeFile(path.join(dir, 'resnet50-0676ba61.pth'), fsBytes);
    await fsp.writeFile(path.join(dir, 'moco_v2_800ep_pretrain.pth.tar'), clBytes);
    const lines = await ifiWeightsLines({
      study: dir,
      grid: grid(),
      // IFI-FS relative to the study folder, IFI-CL absolute: both as the grid stores them.
      runs: [run('IWNE-FS'), run('IFI-FS', 'resnet50-0676ba61.pth'), run('IFI-CL', path.join(dir, 'moco_v2_800ep_pretrain.pth.tar'))],
    });
    expect(lines).toEqual([
      `IFI-FS (supervised ImageNet weights): resnet50-0676ba61.pth, SHA-256 ${sha(fsBytes)}.`,
      `IFI-CL (MoCo v2 ImageNet checkpoint): moco_v2_800ep_pretrain.pth.tar, SHA-256 ${sha(clBytes)}.`,
    ]);
    expect(lines.join(' ')).not.toMatch(/stand-in/i);
  });

  it('stand-in weights: labelled as demo stand-ins, with their name and SHA-256', async () => {
    const dir = await tempDir('limits');
    const bytes = writeSafetensors(new Map(), { standin: 'DEMO STAND-IN: derived from FundusLab synthetic textures, NOT ImageNet' });
    // A stand-in under another name is recognised by its metadata, not its name.
    await fsp.writeFile(path.join(dir, 'weights-a.safetensors'), bytes);
    const lines = await ifiWeightsLines({ study: dir, grid: grid(), runs: [run('IFI-FS', 'weights-a.safetensors')] });
    expect(lines[0]).toBe(
      `IFI-FS (supervised ImageNet weights): demo stand-in (synthetic textures, not ImageNet): weights-a.safetensors, SHA-256 ${sha(bytes)}.`,
    );
    // A safetensors file without the stand-in note is real weights.
    const plain = writeSafetensors(new Map(), { format: 'pt' });
    await fsp.writeFile(path.join(dir, 'weights-b.safetensors'), plain);
    expect((await ifiWeightsLines({ study: dir, grid: grid(), runs: [run('IFI-FS', 'weights-b.safetensors')] }))[0]).toBe(
      `IFI-FS (supervised ImageNet weights): weights-b.safetensors, SHA-256 ${sha(plain)}.`,
    );
  });

  it('no runs: "not run: no weights" (or why else it did not run), never a stand-in', async () => {
    const dir = await tempDir('limits');
    expect(await ifiWeightsLines({ study: dir, grid: grid(), runs: [run('IWNE-FS')] })).toEqual([
      'IFI-FS (supervised ImageNet weights): not run: no weights.',
      'IFI-CL (MoCo v2 ImageNet checkpoint): not run: no weights.',
    ]);
    await fsp.writeFile(path.join(dir, 'r50.pth'), 'x');
    expect(
      await ifiWeightsLines({ study: dir, grid: grid({ strategies: ['IWNE-FS', 'IFI-FS'], imagenetWeights: 'r50.pth' }), runs: [] }),
    ).toEqual([
      'IFI-FS (supervised ImageNet weights): not run: no finished run (weights r50.pth were chosen).',
      "IFI-CL (MoCo v2 ImageNet checkpoint): not part of this study's grid.",
    ]);
  });
});
