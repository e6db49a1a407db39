import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runImport } from '../../../src-main/cli/commands/import';
import { ImportResult } from '../../../src-shared/datasets';
import { tempDir } from '../../support/files';
import { makeStudy } from '../../support/studies';
import { writeFundusJpeg } from './fixtures';
import { promises as fsp } from 'node:fs';

describe('funduslab import', () => {
  it('imports a folder with mapped columns and prints the result as JSON', async () => {
    const src = await tempDir('cli');
    await writeFundusJpeg(path.join(src, 'img1.jpg'), 300, 200, { seed: 1 });
    await writeFundusJpeg(path.join(src, 'img2.jpg'), 300, 200, { seed: 2 });
    const csv = path.join(await tempDir('cli-csv'), 'labels.csv');
    await fsp.writeFile(csv, 'name,dr,who\nimg1,2,a\nimg2.jpg,9,a\n');
    const study = await makeStudy();
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const code = await runImport([
        'folder',
        src,
        '--study',
        study,
        '--csv',
        csv,
        '--image-column',
        'name',
        '--grade-column',
        'dr',
        '--patient-column',
        'who',
        '--json',
        '--validate-only',
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const parsed = JSON.parse(out.join('')) as { ok: boolean; value: unknown };
    const r = ImportResult.parse(parsed.value);
    expect([r.imported, r.excluded]).toEqual([1, 1]);
    expect(r.report.issues[0]).toMatchObject({ kind: 'bad-grade', reason: expect.stringMatching(/9 is outside 0-4/) });
  });

  it('names the missing arguments', async () => {
    await expect(runImport(['eyepacs'])).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'path' }, { path: 'study' }] });
  });
});
