import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { writeDemoData } from '../../services/demo';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';

export const DEMO_DATA_USAGE =
  'funduslab demo-data --out <dir> [--patients N] [--test-patients N] [--size N|WxH] [--seed N] [--grades balanced|eyepacs] [--style equalised|natural] [--idrid-images N] [--idrid-height N] [--textures-per-class N] [--texture-size N] [--quiet] [--json]';

/**
 * Defaults that make the data usable as it comes: a test split (20 patients, 40 images) to evaluate on, and balanced grades,
 * so a validation split of a few patients and the test split both hold referable (grade 3-4) and non-referable images and
 * the validation AUC is defined in every epoch. `--grades eyepacs` draws the Kaggle EyePACS frequencies instead (73 % grade
 * 0, 5 % referable), which needs several hundred patients for that. `--balanced` is still accepted (the default now).
 */
export const DEMO_DATA_DEFAULTS = { patients: 100, testPatients: 20, grades: 'balanced' } as const;

function int(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new AppError('BAD_REQUEST', `--${name} must be an integer from ${min} to ${max}, got ${raw}`, [
      { path: name, message: `integer ${min}-${max}` },
    ]);
  return v;
}

/** `--size`: a square side (`256`) or width x height (`2000x1500`, camera-sized photographs), each 16-8192 px. */
export function demoSize(raw: string): number | { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(raw.trim());
  if (!m) return int('size', raw, 16, 8192);
  return { width: int('size', m[1]!, 16, 8192), height: int('size', m[2]!, 16, 8192) };
}

/** `funduslab demo-data`: writes the SYNTHETIC demo dataset (EyePACS + IDRiD layouts, texture set). */
export async function runDemoData(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    out: { type: 'string' },
    patients: { type: 'string', default: String(DEMO_DATA_DEFAULTS.patients) },
    'test-patients': { type: 'string', default: String(DEMO_DATA_DEFAULTS.testPatients) },
    size: { type: 'string', default: '256' },
    seed: { type: 'string', default: '1' },
    balanced: { type: 'boolean', default: false },
    grades: { type: 'string' },
    style: { type: 'string', default: 'equalised' },
    'idrid-images': { type: 'string', default: '10' },
    'idrid-height': { type: 'string', default: '712' },
    'textures-per-class': { type: 'string', default: '50' },
    'texture-size': { type: 'string', default: '64' },
    quiet: { type: 'boolean', default: false },
  });
  if (!values.out)
    throw new AppError('BAD_REQUEST', `--out <dir> is required.\nUsage: ${DEMO_DATA_USAGE}`, [{ path: 'out', message: 'required' }]);
  const style = values.style;
  if (style !== 'equalised' && style !== 'natural')
    throw new AppError('BAD_REQUEST', `--style must be equalised or natural, got ${style}`, [
      { path: 'style', message: 'equalised | natural' },
    ]);
  const grades = values.grades ?? (values.balanced ? 'balanced' : DEMO_DATA_DEFAULTS.grades);
  if (grades !== 'balanced' && grades !== 'eyepacs')
    throw new AppError('BAD_REQUEST', `--grades must be balanced or eyepacs, got ${grades}`, [
      { path: 'grades', message: 'balanced | eyepacs' },
    ]);
  if (values.balanced && grades !== 'balanced')
    throw new AppError('BAD_REQUEST', '--balanced and --grades eyepacs contradict each other; give one of them.', [
      { path: 'grades', message: 'contradicts --balanced' },
    ]);
  const out = path.resolve(values.out);
  const opts = {
    seed: int('seed', values.seed, 0, 0xffffffff),
    patients: int('patients', values.patients, 1, 1_000_000),
    testPatients: int('test-patients', values['test-patients'], 0, 1_000_000),
    size: demoSize(values.size),
    balanced: grades === 'balanced',
    style,
    idridImages: int('idrid-images', values['idrid-images'], 0, 9999),
    idridHeight: int('idrid-height', values['idrid-height'], 16, 8192),
    texturesPerClass: int('textures-per-class', values['textures-per-class'], 0, 100_000),
    textureSize: int('texture-size', values['texture-size'], 8, 4096),
  } as const;
  const bar = stderrProgress('demo-data', !values.quiet);
  const result = await writeDemoData(out, opts, (done, total, message) => bar.update(done, total, message));
  bar.end();
  if (values.json) {
    process.stdout.write(JSON.stringify({ synthetic: true, ...result, options: opts }) + '\n');
  } else {
    const e = result.eyepacs;
    const lines = [
      `Wrote the SYNTHETIC FundusLab demo dataset (seed ${opts.seed}) to ${out} in ${(result.elapsedMs / 1000).toFixed(1)} s:`,
      `  eyepacs/   ${e.train.images} training images of ${e.train.patients} patients (grades 0-4: ${e.train.grades.join(' / ')})` +
        (e.test ? `, ${e.test.images} test images` : ''),
    ];
    if (result.idrid)
      lines.push(`  idrid/     ${result.idrid.images} images ${result.idrid.width}x${result.idrid.height} with MA/HE/EX/SE/OD masks`);
    if (result.textures) lines.push(`  textures/  ${result.textures.images} texture images in ${result.textures.classes.length} classes`);
    lines.push('Every folder has a SYNTHETIC.txt: these are generated images, not patient photographs.');
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}
