/**
 * `funduslab kernels list|check [--json] [--backend B] [--arch A] [--tolerance T]` — the kernels a
 * training step uses on the active backend (an FS step, a MoCo v2 step, an eval forward) and, with
 * `check`, each one's forward and gradient against the JavaScript cpu backend, that it is
 * registered for the backend and that FundusLab's fused kernels are used where the backend has them
 * (engine/kernel-check.ts). Exit 1 when a check fails. The portable GPU check runs it too: this
 * module imports the engine only.
 */
import { BackendName, BackendPreference } from '../../../src-shared/engine';
import { AppError } from '../../../src-shared/errors';
import { initEngine } from '../../engine/backend';
import { runKernelChecks, trainingStepKernels, type KernelCheckReport, type StepInventory } from '../../engine/kernel-check';
import { parseCommandArgs } from '../args';

export const KERNELS_USAGE = 'funduslab kernels list|check [--json] [--backend auto|webgpu|wasm|…] [--arch resnet18-w4] [--tolerance 1e-4]';

export async function runKernels(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    backend: { type: 'string' },
    arch: { type: 'string' },
    tolerance: { type: 'string' },
  });
  const [action, ...extra] = positionals;
  if ((action !== 'list' && action !== 'check') || extra.length > 0)
    throw new AppError(
      'BAD_REQUEST',
      `Expected "list" or "check"${positionals.length ? `, got "${positionals.join(' ')}"` : ''}. Usage: ${KERNELS_USAGE}`,
    );
  const preference = BackendPreference.safeParse(values.backend ?? 'auto');
  if (!preference.success)
    throw new AppError('BAD_REQUEST', `--backend: unknown backend "${values.backend}"; expected auto or ${BackendName.options.join(', ')}`);
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(tolerance > 0))
    throw new AppError('BAD_REQUEST', `--tolerance must be a positive number (got "${values.tolerance}")`);
  await initEngine({ preference: preference.data });
  const step = values.arch ? { arch: values.arch } : {};
  if (action === 'list') {
    const inventory = await trainingStepKernels(step);
    process.stdout.write(values.json ? `${JSON.stringify(inventory, null, 2)}\n` : formatKernelList(inventory));
    return 0;
  }
  const report = await runKernelChecks({
    step,
    ...(tolerance !== undefined ? { tolerance } : {}),
    onProgress: values.json ? undefined : (m) => process.stderr.write(`kernels: ${m}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatKernelCheck(report));
  return report.ok ? 0 : 1;
}

const STEP_COLUMNS = [
  ['fs', 'FS'],
  ['moco', 'MoCo'],
  ['eval', 'eval'],
] as const;

export function formatKernelList(inv: StepInventory): string {
  const width = Math.max(6, ...inv.kernels.map((k) => k.length)) + 2;
  const lines = [
    `Kernels of a training step on ${inv.backend} (${inv.arch}, ${inv.size}x${inv.size}, batch ${inv.batch}): ${inv.kernels.length}`,
    '',
    `${'kernel'.padEnd(width)}${STEP_COLUMNS.map(([, h]) => h.padStart(6)).join('')}`,
    ...inv.kernels.map(
      (k) => `${k.padEnd(width)}${STEP_COLUMNS.map(([s]) => (inv.steps[s].includes(k) ? '✓' : '·').padStart(6)).join('')}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

const num = (x: number | null): string => (x === null ? '–' : Number.isFinite(x) ? x.toExponential(1) : String(x));

export function formatKernelCheck(r: KernelCheckReport): string {
  const width = Math.max(6, ...r.kernels.map((k) => k.kernel.length)) + 2;
  const worst = (xs: (number | null)[]): number | null => {
    const present = xs.filter((x): x is number => x !== null);
    return present.length ? Math.max(...present) : null;
  };
  const lines = [
    `Kernel check on ${r.backend}: ${r.kernels.length} kernels of an FS step, a MoCo v2 step and an eval forward (${r.inventory.arch}) vs the cpu backend`,
    `error: ${r.measure}; tolerance ${r.tolerance}`,
    '',
    `${'kernel'.padEnd(width)}${'steps'.padEnd(15)}${'cases'.padStart(6)}${'forward'.padStart(10)}${'gradient'.padStart(10)}  status`,
    ...r.kernels.map((k) => {
      const steps = k.steps.length ? k.steps.join(',') : 'unused';
      return `${k.kernel.padEnd(width)}${steps.padEnd(15)}${String(k.cases.length).padStart(6)}${num(worst(k.cases.map((c) => c.forward))).padStart(10)}${num(worst(k.cases.map((c) => c.gradient))).padStart(10)}  ${k.ok ? 'ok' : 'FAIL'}`;
    }),
  ];
  const failed = r.kernels.filter((k) => !k.ok);
  if (failed.length) lines.push('', 'Failures:', ...failed.flatMap((k) => k.problems.map((p) => `  ${k.kernel}: ${p}`)));
  lines.push(
    '',
    r.ok
      ? `All ${r.kernels.length} kernels pass (${(r.durationMs / 1000).toFixed(1)} s).`
      : `${failed.length} of ${r.kernels.length} kernels fail.`,
  );
  return `${lines.join('\n')}\n`;
}
