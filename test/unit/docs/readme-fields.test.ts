/** The README documents every field of the training spec, the MoCo settings and the grid (issue: "the README documents every field"). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GridSpec } from '../../../src-shared/grid';
import { MocoSettings, TrainingSpec } from '../../../src-shared/training';
import { REPO_ROOT } from '../../support/files';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README spec tables', () => {
  const section = (heading: string): string => {
    const start = readme.indexOf(heading);
    expect(start, heading).toBeGreaterThan(-1);
    const next = readme.indexOf('\n#', start + heading.length);
    return readme.slice(start, next === -1 ? undefined : next);
  };
  for (const [name, schema, heading] of [
    ['TrainingSpec', TrainingSpec, '#### Training spec'],
    ['MocoSettings', MocoSettings, '#### `moco`'],
    ['GridSpec', GridSpec, '#### Grid'],
  ] as const) {
    it(`has a row for every field of ${name}, with its description`, () => {
      const text = section(heading);
      const js = z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as {
        properties: Record<string, { description?: string }>;
      };
      const fields = Object.keys(js.properties);
      expect(fields.length).toBeGreaterThan(5);
      for (const f of fields) {
        const row = text.split('\n').find((l) => l.startsWith(`| \`${f}\` |`));
        expect(row, `README row for ${name}.${f}`).toBeDefined();
        const d = js.properties[f]!.description;
        if (d) expect(row!.replace(/\\\|/g, '|')).toContain(d.slice(0, 40));
      }
    });
  }
});
