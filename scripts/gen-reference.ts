/**
 * The reference pages of the JSON files users write — a training spec, a training grid, a study plan with
 * its dataset imports — generated from the zod schemas' descriptions into docs/reference/*.md, so the
 * documentation and the schemas cannot drift apart. Each page lists every field with its type, its
 * default and its meaning; an object field gets its own table below, a field that is one of several
 * shapes (a schedule, a normalisation, a dataset type) a table per shape.
 *
 * `npm run docs:reference` (scripts/gen-reference-cli.mjs) writes the pages; test/unit/docs/reference.test.ts
 * regenerates them in memory and fails when a committed page differs or a field has no description.
 */
import { z } from 'zod';
import { ClusterDefaults } from '../src-shared/cluster';
import { ImportRequest } from '../src-shared/datasets';
import { GridSpec } from '../src-shared/grid';
import { StudyPlan } from '../src-shared/study-plan';
import { TrainingSpec } from '../src-shared/training';

/** The part of JSON Schema (draft 2020-12) that z.toJSONSchema writes for these schemas. */
interface Json {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Json>;
  required?: string[];
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  items?: Json;
  prefixItems?: Json[];
  anyOf?: Json[];
  oneOf?: Json[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
}

/** One generated page: a schema, what the file is, where a field documented elsewhere is linked, and an example. */
interface PageSpec {
  file: string;
  title: string;
  source: string;
  intro: string[];
  schema: z.ZodType;
  example?: { value: unknown; schema: z.ZodType };
  /** Field path (dotted, `[]` for array items) → the type cell of a field documented on another page or section (not expanded here). */
  links?: Record<string, string>;
  /** Further schemas documented on the same page after the fields (e.g. the dataset entries of a study plan). */
  more?: { heading: string; path: string; intro: string[]; schema: z.ZodType }[];
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

const jsonSchema = (schema: z.ZodType): Json => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;

/** The shape without its own default and description, to recognise the same object documented twice. */
const shapeKey = (s: Json): string => JSON.stringify({ ...s, default: undefined, description: undefined });

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
export function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** A value as inline code (JSON), for the default column and examples. */
const code = (v: unknown): string => '`' + JSON.stringify(v) + '`';

/** Text for Markdown: `<` outside code spans escaped, so `<patient>` is not taken for an HTML tag. */
const prose = (text: string): string =>
  text
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;') : part))
    .join('`');

/** Text for a table cell: one line, pipes escaped. */
const cell = (text: string): string => prose(text.replace(/\s*\n\s*/g, ' ')).replace(/\|/g, '\\|');

/** A schema without `null` as one of its alternatives, and whether null was one. */
function withoutNull(s: Json): { inner: Json; nullable: boolean } {
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives && alternatives.some((a) => a.type === 'null')) {
    const rest = alternatives.filter((a) => a.type !== 'null');
    if (rest.length === 1) return { inner: { ...rest[0]!, description: s.description, default: s.default }, nullable: true };
    return { inner: { ...s, anyOf: rest, oneOf: undefined }, nullable: true };
  }
  return { inner: s, nullable: false };
}

const isObject = (s: Json): boolean => s.type === 'object' && s.properties !== undefined;
const isUnionOfObjects = (s: Json): boolean => (s.oneOf ?? s.anyOf ?? []).length > 1 && (s.oneOf ?? s.anyOf)!.every(isObject);

/** The property every alternative of a union fixes to a constant (`kind`, `type`), if there is one. */
function discriminatorOf(alternatives: Json[]): string | null {
  const first = alternatives[0]!.properties ?? {};
  return Object.keys(first).find((k) => alternatives.every((a) => a.properties?.[k]?.const !== undefined)) ?? null;
}

/** The range of a number: "≥ 0", "> 0", "in (0, 1]", "in [32, 1024]", or "" when it has none. */
function bounds(s: Json): string {
  const low = s.exclusiveMinimum ?? s.minimum;
  const high = s.maximum !== undefined && s.maximum >= SAFE_INTEGER ? undefined : (s.exclusiveMaximum ?? s.maximum);
  const openLow = s.exclusiveMinimum !== undefined;
  const openHigh = s.exclusiveMaximum !== undefined;
  if (low !== undefined && high !== undefined) return `in ${openLow ? '(' : '['}${low}, ${high}${openHigh ? ')' : ']'}`;
  if (low !== undefined) return `${openLow ? '>' : '≥'} ${low}`;
  if (high !== undefined) return `${openHigh ? '<' : '≤'} ${high}`;
  return '';
}

/** The type column for a schema that has no table of its own. */
function typeText(s: Json): string {
  const { inner, nullable } = withoutNull(s);
  const text = plainType(inner);
  return nullable ? `${text} or \`null\`` : text;
}

function plainType(s: Json): string {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' | ');
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.map(plainType).join(' or ');
  if (s.prefixItems) return '[' + s.prefixItems.map(plainType).join(', ') + ']';
  if (s.type === 'array') {
    const n =
      s.minItems !== undefined && s.maxItems !== undefined
        ? ` (${s.minItems}–${s.maxItems} items)`
        : s.minItems !== undefined
          ? ` (at least ${s.minItems})`
          : '';
    return `array of ${s.items ? plainType(s.items) : 'any'}${n}`;
  }
  if (s.type === 'integer' || s.type === 'number') {
    const b = bounds(s);
    return b ? `${s.type} ${b}` : s.type;
  }
  if (s.type === 'object') return 'object';
  return s.type ?? 'any';
}

/** JSON with sorted keys, to compare values whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonical(o[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v);
}

/** What an object is when it is given as `{}`: each field with a default at its default. */
function fieldDefaults(s: Json): unknown {
  return Object.fromEntries(
    Object.entries(s.properties ?? {})
      .filter(([, p]) => p.default !== undefined)
      .map(([k, p]) => [k, p.default]),
  );
}

/** JSON for examples: two-space indents, arrays of plain values on one line. */
export function formatJson(v: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return '[' + v.map((x) => JSON.stringify(x)).join(', ') + ']';
    return '[\n' + v.map((x) => inner + formatJson(x, inner)).join(',\n') + '\n' + indent + ']';
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const flat = entries.every(
      ([, x]) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((y) => y === null || typeof y !== 'object')),
    );
    const oneLine = '{ ' + entries.map(([k, x]) => `${JSON.stringify(k)}: ${formatJson(x)}`).join(', ') + ' }';
    if (flat && indent.length + oneLine.length <= 100) return oneLine;
    return '{\n' + entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${formatJson(x, inner)}`).join(',\n') + '\n' + indent + '}';
  }
  return JSON.stringify(v);
}

interface Row {
  field: string;
  type: string;
  default: string;
  meaning: string;
}

/** A section documenting one object (or union of objects), and the defaults of the fields that lead to it. */
interface Section {
  heading: string;
  path: string;
  schema: Json;
  nullable: boolean;
  /** Field path → its default when that default is not simply the fields' own defaults. */
  defaults: [string, unknown][];
  lines: string[];
}

/** Builds a page's tables: one per object, in the order the fields lead to them. */
class PageWriter {
  readonly undocumented: string[] = [];
  private readonly sections: Section[] = [];
  private readonly byShape = new Map<string, Section>();
  private next = 0;

  constructor(
    private readonly page: string,
    private readonly links: Record<string, string>,
  ) {}

  /** The table of an object's fields; its object and union fields get sections of their own. */
  table(out: string[], path: string, s: Json): void {
    const rows: Row[] = [];
    const required = new Set(s.required ?? []);
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const fieldPath = path ? `${path}.${name}` : name;
      if (!prop.description) this.undocumented.push(`${this.page}: ${fieldPath}`);
      rows.push(this.row(name, fieldPath, prop, required.has(name)));
    }
    if (rows.length === 0) return;
    out.push('| field | type | default | meaning |', '|---|---|---|---|');
    for (const r of rows) out.push(`| \`${r.field}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.meaning)} |`);
    out.push('');
  }

  private row(name: string, fieldPath: string, prop: Json, required: boolean): Row {
    const meaning = prop.description ?? '';
    const plainDefault = prop.default !== undefined ? code(prop.default) : required ? '*required*' : '—';
    const link = this.links[fieldPath];
    if (link) return { field: name, type: link, default: plainDefault, meaning };
    const { inner, nullable } = withoutNull(prop);
    const orNull = nullable ? ' or `null`' : '';
    if (isObject(inner) || isUnionOfObjects(inner)) {
      const section = this.section(fieldPath, inner, nullable);
      const what = isObject(inner) ? 'object' : 'object, one of several shapes';
      let dflt = plainDefault;
      if (isObject(inner) && prop.default !== null && prop.default !== undefined) {
        if (canonical(prop.default) === canonical(fieldDefaults(inner))) dflt = "its fields' defaults";
        else if (JSON.stringify(prop.default).length > 24) {
          section.defaults.push([fieldPath, prop.default]);
          dflt = 'below';
        }
      }
      return { field: name, type: `${what} ([below](#${anchorOf(section.heading)}))${orNull}`, default: dflt, meaning };
    }
    if (inner.type === 'array' && inner.items && (isObject(inner.items) || isUnionOfObjects(inner.items))) {
      const section = this.section(`${fieldPath}[]`, inner.items, false);
      return { field: name, type: `array of objects ([below](#${anchorOf(section.heading)}))${orNull}`, default: plainDefault, meaning };
    }
    return { field: name, type: typeText(prop), default: plainDefault, meaning };
  }

  /** The section documenting this object: the first one of the same shape, or a new one. */
  private section(path: string, schema: Json, nullable: boolean): Section {
    const key = shapeKey(schema);
    const known = this.byShape.get(key);
    if (known) return known;
    const section: Section = { heading: `\`${path}\``, path, schema, nullable, defaults: [], lines: [] };
    this.byShape.set(key, section);
    this.sections.push(section);
    return section;
  }

  /** Fills the sections added so far (and those they add), returning them in order. */
  drain(): Section[] {
    const done: Section[] = [];
    while (this.next < this.sections.length) {
      const section = this.sections[this.next++]!;
      this.body(section.lines, section.path, section.schema, section.nullable);
      done.push(section);
    }
    return done;
  }

  /** An object's table, or a union's: the fields all shapes share, then each shape with its own fields. */
  body(out: string[], path: string, schema: Json, nullable: boolean): void {
    if (schema.description) {
      const text = prose(schema.description.replace(/\s*\n\s*/g, ' '));
      out.push(text + (nullable && !/\bnull\b/.test(text) ? ' (`null`: none).' : ''), '');
    } else if (nullable) out.push('`null`: none.', '');
    if (isObject(schema)) return this.table(out, path, schema);
    const alternatives = (schema.oneOf ?? schema.anyOf)!;
    const tag = discriminatorOf(alternatives);
    const first = alternatives[0]!;
    const shared = Object.keys(first.properties ?? {}).filter(
      (k) => k !== tag && alternatives.every((a) => a.properties?.[k] && shapeKey(a.properties[k]) === shapeKey(first.properties![k]!)),
    );
    if (tag) out.push(`One of ${alternatives.length} shapes, chosen by \`${tag}\`.`, '');
    if (shared.length > 0) {
      out.push(tag ? `Fields of every \`${tag}\`:` : 'Fields of every shape:', '');
      const sharedObject: Json = {
        ...first,
        properties: Object.fromEntries(shared.map((k) => [k, first.properties![k]!])),
        required: (first.required ?? []).filter((k) => shared.includes(k)),
      };
      this.table(out, path, sharedObject);
    }
    for (const alt of alternatives) {
      const value = tag ? alt.properties![tag]! : null;
      if (value && !value.description) this.undocumented.push(`${this.page}: ${path}.${tag} = ${JSON.stringify(value.const)}`);
      const title = value ? `\`${tag}: ${JSON.stringify(value.const)}\`` : 'Shape';
      out.push(`**${title}**${value?.description ? ` — ${prose(value.description.replace(/\s*\n\s*/g, ' '))}` : ''}`, '');
      const own: Json = {
        ...alt,
        properties: Object.fromEntries(Object.entries(alt.properties ?? {}).filter(([k]) => k !== tag && !shared.includes(k))),
      };
      if (Object.keys(own.properties!).length > 0) this.table(out, path, own);
    }
  }
}

/** A section's Markdown: heading, what it is, the defaults of the fields that lead to it, its tables. */
function renderSection(section: Section, level: string): string[] {
  const [lead, ...rest] = section.lines;
  const out = [`${level} ${section.heading}`, ''];
  if (lead !== undefined && !lead.startsWith('|')) out.push(lead, rest.shift() ?? '');
  else if (lead !== undefined) rest.unshift(lead);
  if (section.defaults.length > 0) {
    for (const [path, value] of section.defaults)
      out.push(`When \`${path}\` is left out, it is:`, '', '```json', formatJson(value), '```', '');
    out.push('A field left out of a given object takes the default of its row.', '');
  }
  out.push(...rest);
  return out;
}

const GENERATED = (source: string) =>
  `<!-- Generated by \`npm run docs:reference\` (scripts/gen-reference.ts) from the descriptions in ${source}. Do not edit by hand: change the schema's descriptions and regenerate. -->`;

const HOW_TO_READ =
  'How to read the tables: *default* is the value FundusLab uses when the field is left out; a *required* field must be given; ' +
  '— means the field may be left out, and its meaning says what happens then. An object field has its own table below.';

export const PAGES: PageSpec[] = [
  {
    file: 'training-spec.md',
    title: 'Training spec',
    source: 'src-shared/training.ts',
    intro: [
      'A training spec is the JSON file from which `funduslab train <spec.json> --study <dir>` trains one run: one strategy, one label',
      'fraction, one seed. `funduslab train --example-spec [--strategy S]` prints the paper settings to start from (`--quick`: a small run). Every field except `strategy` may be left out;',
      '`datasetId` must name a dataset of the study, and the IFI strategies need `pretrainedWeights`. The same fields make up the',
      "`base` and `overrides` of a [training grid](grid.md), and the defaults are the paper's unless a description says otherwise",
      '(the definitions are in [design.md](../design.md#training)).',
    ],
    schema: TrainingSpec,
    example: {
      schema: TrainingSpec,
      value: {
        strategy: 'IWNE-FS',
        datasetId: 'eyepacs',
        fraction: 0.5,
        seed: 0,
        arch: 'resnet50',
        inputSize: 224,
        epochs: 500,
        lr: 0.0001,
      },
    },
  },
  {
    file: 'grid.md',
    title: 'Training grid',
    source: 'src-shared/grid.ts',
    intro: [
      'The training grid of a study is `grid.json` in the study folder. The study wizard of the app writes it; `funduslab grid --study',
      '<dir> --spec grid.json` takes one from a file. It crosses strategies × label fractions × seeds, and each cell is one training run',
      "whose [training spec](training-spec.md) is `base`, then the strategy's entry in `overrides`, then the cell's strategy, fraction",
      'and seed. A [study plan](study-plan.md) holds a grid as its `grid` field.',
    ],
    schema: GridSpec,
    links: {
      base: 'object: any [training-spec](training-spec.md) field except `strategy`, `fraction`, `seed`, `pretrainedWeights`',
      overrides: 'object: strategy → [training-spec](training-spec.md) fields',
    },
    example: {
      schema: GridSpec,
      value: {
        strategies: ['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL'],
        fractions: [0.1, 0.2, 0.5, 1.0],
        seeds: [0],
        base: { datasetId: 'eyepacs', arch: 'resnet50', inputSize: 224, batchSize: 32 },
        overrides: { 'IWNE-CL': { moco: { epochs: 200 } } },
        imagenetWeights: '/path/to/resnet50-0676ba61.pth',
        mocoWeights: '/path/to/moco_v2_800ep_pretrain.pth.tar',
      },
    },
  },
  {
    file: 'study-plan.md',
    title: 'Study plan',
    source: 'src-shared/study-plan.ts and src-shared/datasets.ts',
    intro: [
      'A study plan is a whole study in one JSON file: the datasets to import, the training grid, the test sets every run is evaluated',
      'on, the analyses and the report. `funduslab study <plan.json>` runs it step by step, and running it again resumes: every step',
      'skips what is already done. The study wizard of the app keeps the plan it ran as `study-plan.json` in the study folder, and',
      '`npm run demo` builds one for the synthetic demo data.',
    ],
    schema: StudyPlan,
    links: {
      grid: 'object: a [training grid](grid.md)',
      datasets: 'array of [dataset entries](#dataset-entries)',
    },
    example: {
      schema: StudyPlan,
      value: {
        study: 'my-study',
        name: 'Referable DR: to pretrain or not',
        datasets: [
          { type: 'eyepacs', path: '/data/eyepacs', id: 'eyepacs' },
          { type: 'messidor2', path: '/data/messidor-2', id: 'messidor2' },
          { type: 'idrid-seg', path: '/data/idrid', id: 'idrid' },
        ],
        grid: {
          fractions: [0.1, 0.5, 1],
          base: { datasetId: 'eyepacs' },
          imagenetWeights: '/weights/resnet50-0676ba61.pth',
          mocoWeights: '/weights/moco_v2_800ep_pretrain.pth.tar',
        },
        evaluate: [
          { datasetId: 'eyepacs', split: 'test' },
          { datasetId: 'messidor2', split: 'all' },
        ],
        spectra: { datasetId: 'eyepacs' },
        robustness: { datasetId: 'eyepacs', images: 100 },
        explain: { datasetId: 'idrid' },
        report: { out: 'report.pdf' },
      },
    },
    more: [
      {
        heading: 'Dataset entries',
        path: 'datasets[]',
        intro: [
          'Each entry of `datasets` imports one dataset, exactly as `funduslab import <type> <folder> --study <dir>` does (`--id`,',
          '`--input-size` and the other options set the same fields). An entry whose `id` is already a dataset of the study is skipped.',
        ],
        schema: ImportRequest,
      },
    ],
  },
  {
    file: 'cluster.md',
    title: 'Cluster defaults',
    source: 'src-shared/cluster.ts',
    intro: [
      '`cluster.json` in a study folder holds the defaults of its Slurm submissions (`funduslab grid --study <dir> --executor slurm`,',
      '`funduslab study <plan.json> --executor slurm`; see the README, "Running on a Slurm cluster"). Every field is optional and is the',
      'command-line option of the same name (`gpusPerTask` is `--gpus-per-task`, `sbatchArgs` one `--sbatch-arg` each, `setup` one',
      '`--setup` each, `requeue: false` is `--no-requeue`, `timeCheck: false` is `--no-time-check`); an option given on the command',
      'line wins. Each submission records the options it used in `cluster/<submission-id>/submission.json`.',
    ],
    schema: ClusterDefaults,
    example: {
      schema: ClusterDefaults,
      value: {
        partition: 'gpu',
        account: 'ophthalmology',
        gpusPerTask: 1,
        cpusPerTask: 8,
        mem: '32G',
        time: '24:00:00',
        maxParallel: 8,
        sbatchArgs: ['--constraint=a100'],
        setup: ['module load cuda/11.2'],
      },
    },
  },
];

/** One page's Markdown, and the fields on it that have no description. */
export function renderPage(page: PageSpec): { text: string; undocumented: string[] } {
  const writer = new PageWriter(page.file, page.links ?? {});
  const out: string[] = [GENERATED(page.source), '', `# ${page.title}`, '', page.intro.join(' '), '', HOW_TO_READ, ''];
  if (page.example) {
    page.example.schema.parse(page.example.value);
    out.push('## Example', '', '```json', formatJson(page.example.value), '```', '');
  }
  out.push('## Fields', '');
  writer.table(out, '', jsonSchema(page.schema));
  const sections = writer.drain();
  const more = (page.more ?? []).map((m) => {
    const lines = [`## ${m.heading}`, '', m.intro.join(' '), ''];
    writer.body(lines, m.path, jsonSchema(m.schema), false);
    return { lines, sections: writer.drain() };
  });
  for (const section of sections) out.push(...renderSection(section, '##'));
  for (const m of more) {
    out.push(...m.lines);
    for (const section of m.sections) out.push(...renderSection(section, '###'));
  }
  while (out[out.length - 1] === '') out.pop();
  return { text: out.join('\n') + '\n', undocumented: writer.undocumented };
}

/** Every reference page: its file name under docs/reference/ and its Markdown. */
export function referencePages(): { file: string; text: string }[] {
  return PAGES.map((page) => ({ file: page.file, text: renderPage(page).text }));
}

/** Fields of the documented schemas without a description (`page: path`), which the pages could not explain. */
export function undocumentedFields(): string[] {
  return PAGES.flatMap((page) => renderPage(page).undocumented);
}
