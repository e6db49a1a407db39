/**
 * The reference pages of the files users write (docs/reference/*.md) are generated from the zod schemas' descriptions
 * (scripts/gen-reference.ts): the committed pages are what the generator writes today, every field of a documented schema
 * has a description, and each page has a row with its description for every field of the schema it documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PAGES, anchorOf, formatJson, referencePages, renderPage, undocumentedFields } from '../../../scripts/gen-reference';
import { ImportRequest } from '../../../src-shared/datasets';
import { GridSpec } from '../../../src-shared/grid';
import { StudyPlan } from '../../../src-shared/study-plan';
import { MocoSettings, TrainingSpec } from '../../../src-shared/training';
import { REPO_ROOT } from '../../support/files';

const REFERENCE = path.join(REPO_ROOT, 'docs', 'reference');
const page = (file: string): string => readFileSync(path.join(REFERENCE, file), 'utf8');

/** The lines of a page from `heading` to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  expect(start, heading).toBeGreaterThan(-1);
  const level = heading.split(' ')[0]!;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.split(' ')[0]!.length <= level.length);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

const properties = (schema: z.ZodType): Record<string, { description?: string }> =>
  (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { description?: string }> }).properties;

describe('reference pages', () => {
  it('are committed as the generator writes them (run `npm run docs:reference` after changing a schema)', () => {
    const generated = referencePages();
    expect(generated.map((p) => p.file).sort()).toEqual(['cluster.md', 'grid.md', 'study-plan.md', 'training-spec.md']);
    for (const { file, text } of generated) {
      let committed: string | null = null;
      try {
        committed = page(file);
      } catch {
        committed = null;
      }
      expect(committed, `docs/reference/${file} is missing or out of date: run \`npm run docs:reference\``).toBe(text);
    }
    const extra = readdirSync(REFERENCE).filter((f) => !generated.some((p) => p.file === f));
    expect(extra, 'files in docs/reference/ that no schema generates').toEqual([]);
  });

  it('has a description for every field of every documented schema', () => {
    expect(undocumentedFields(), 'fields without a description: add .describe() to the schema, then run `npm run docs:reference`').toEqual(
      [],
    );
  });

  it('reports a field without a description, in an object and in a shape of a union', () => {
    const planted = z
      .object({
        known: z.number().describe('A described field'),
        bare: z.string(),
        nested: z.object({ inner: z.boolean() }).describe('A described object'),
        shape: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('a').describe('Shape a'), x: z.number().describe('x of a') }),
            z.object({ kind: z.literal('b'), y: z.number() }),
          ])
          .describe('A union'),
      })
      .describe('planted');
    const { undocumented } = renderPage({ file: 'planted.md', title: 'Planted', source: 'a test', intro: [], schema: planted });
    expect(undocumented.sort()).toEqual([
      'planted.md: bare',
      'planted.md: nested.inner',
      'planted.md: shape.kind = "b"',
      'planted.md: shape.y',
    ]);
  });

  for (const [name, schema, file, heading] of [
    ['TrainingSpec', TrainingSpec, 'training-spec.md', '## Fields'],
    ['MocoSettings', MocoSettings, 'training-spec.md', '## `moco`'],
    ['GridSpec', GridSpec, 'grid.md', '## Fields'],
    ['StudyPlan', StudyPlan, 'study-plan.md', '## Fields'],
  ] as const) {
    it(`has a row for every field of ${name}, with its description`, () => {
      const text = section(page(file), heading);
      const props = properties(schema as z.ZodType);
      const fields = Object.keys(props);
      expect(fields.length).toBeGreaterThan(5);
      for (const f of fields) {
        const row = text.split('\n').find((l) => l.startsWith(`| \`${f}\` |`));
        expect(row, `${file} row for ${name}.${f}`).toBeDefined();
        const d = props[f]!.description;
        expect(d, `${name}.${f} has a description`).toBeTruthy();
        expect(row!.replace(/\\\|/g, '|')).toContain(d!.slice(0, 40).replace(/</g, '&lt;'));
      }
    });
  }

  it('documents every dataset type of a study plan with its own fields', () => {
    const text = section(page('study-plan.md'), '## Dataset entries');
    for (const variant of ImportRequest.options) {
      const type = variant.shape.type.value;
      expect(text, type).toContain(`**\`type: "${type}"\`** — `);
    }
    expect(text).toContain('| `imageColumn` | string | *required* |');
    expect(text).toContain('| `inputSize` | integer in [32, 2048] | `224` |');
  });

  it('writes types, defaults, links and nested tables as the schema says', () => {
    const spec = page('training-spec.md');
    expect(spec).toContain('| `strategy` | `"IWNE-FS"` \\| `"IWNE-CL"` \\| `"IFI-FS"` \\| `"IFI-CL"` | *required* |');
    expect(spec).toContain('| `fraction` | number in (0, 1] | `1` |');
    expect(spec).toContain('| `epochs` | integer > 0 | — |');
    expect(spec).toContain('| `earlyStoppingPatience` | integer > 0 or `null` | `null` |');
    expect(spec).toContain("| `optimizer` | object ([below](#optimizer)) | its fields' defaults |");
    // A union gets one table per shape, chosen by its discriminator; the same shape used twice is documented once.
    expect(section(spec, '## `schedule`')).toContain('**`kind: "step"`** — torch StepLR');
    expect(spec).toContain('| `schedule` | object, one of several shapes ([below](#schedule)) | `{"kind":"constant"}` |');
    expect(section(spec, '## `moco`')).toContain(
      '| `schedule` | object, one of several shapes ([below](#schedule)) | `{"kind":"cosine","etaMin":0}` |',
    );
    expect(spec.match(/^## `moco\.schedule`/m)).toBeNull();
    // Both augmentation defaults differ from the fields' own: each is written out where the shared table is.
    const augmentation = section(spec, '## `augmentation`');
    expect(augmentation).toContain('When `augmentation` is left out, it is:');
    expect(augmentation).toContain('When `moco.augmentation` is left out, it is:');
    expect(augmentation).toContain('"grayscale": 0.2');
    const grid = page('grid.md');
    expect(grid).toContain('| `base` | object: any [training-spec](training-spec.md) field except');
    for (const [file, example] of PAGES.map((p) => [p.file, p.example] as const)) {
      expect(example, file).toBeDefined();
      expect(page(file)).toContain('```json\n' + formatJson(example!.value) + '\n```');
      expect(() => example!.schema.parse(example!.value), `${file}'s example parses`).not.toThrow();
    }
  });

  it("links only to anchors that exist on the page (GitHub's heading anchors)", () => {
    expect(anchorOf('`augmentation.randomResizedCrop`')).toBe('augmentationrandomresizedcrop');
    expect(anchorOf('LRP α1β0')).toBe('lrp-α1β0');
    expect(anchorOf('RMA / RRA')).toBe('rma--rra');
    for (const { file, text } of referencePages()) {
      const anchors = new Set(
        text
          .split('\n')
          .filter((l) => /^#+ /.test(l))
          .map((l) => anchorOf(l.replace(/^#+ /, ''))),
      );
      for (const [, target] of text.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(target!), `${file}: #${target}`).toBe(true);
    }
  });
});
