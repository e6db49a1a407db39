import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { initEngine } from '../../engine/backend';
import { archName } from '../../engine/models/resnet-spec';
import { exportSafetensors, exportTfjs } from '../../engine/weights/export';
import { formatInspectReport, inspectWeights } from '../../engine/weights/inspect';
import { loadResNet } from '../../engine/weights/load';
import { parseCommandArgs } from '../args';

export const WEIGHTS_USAGE = [
  'funduslab weights inspect <file> [--classes N] [--arch A …] [--json]',
  'funduslab weights convert <file> --arch A [--classes N] --to safetensors|tfjs --out PATH [--allow-non-finite] [--json]',
].join('\n       ');

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError('BAD_REQUEST', `${what} must be a positive integer (got "${value}")`);
  return n;
}

/**
 * `funduslab weights inspect`: format, tensors, detected architecture and what an import into
 * each architecture would load/skip/re-initialise. `funduslab weights convert`: import into an
 * architecture and export as .safetensors (torchvision names) or FundusLab's tfjs format; a file
 * holding NaN or ±∞ is refused unless --allow-non-finite (inspect lists such tensors with counts).
 */
export async function runWeights(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'inspect') {
    const { values, positionals } = parseCommandArgs(rest, { classes: { type: 'string' }, arch: { type: 'string', multiple: true } });
    if (positionals.length !== 1) throw new AppError('BAD_REQUEST', `weights inspect takes one file (got ${positionals.length})`);
    const report = await inspectWeights(positionals[0]!, {
      ...(values.classes !== undefined ? { classes: positiveInt(values.classes, '--classes') } : {}),
      ...(values.arch ? { archs: values.arch } : {}),
    });
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatInspectReport(report) + '\n');
    return 0;
  }
  if (sub === 'convert') {
    const { values, positionals } = parseCommandArgs(rest, {
      arch: { type: 'string' },
      classes: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      'allow-non-finite': { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new AppError('BAD_REQUEST', `weights convert takes one input file (got ${positionals.length})`);
    if (!values.arch || !values.out || (values.to !== 'safetensors' && values.to !== 'tfjs')) {
      throw new AppError('BAD_REQUEST', 'weights convert needs --arch, --to safetensors|tfjs and --out');
    }
    const engine = await initEngine({ preference: 'auto' });
    const { model, report } = await loadResNet(positionals[0]!, values.arch, positiveInt(values.classes, '--classes'), {
      allowNonFinite: values['allow-non-finite'],
    });
    try {
      const out = path.resolve(values.out);
      if (values.to === 'safetensors') await exportSafetensors(model, out);
      else await exportTfjs(model, out);
      const summary = {
        ok: true,
        arch: archName(model.config),
        classes: model.config.classes,
        backend: engine.active,
        format: values.to,
        out,
        import: report,
      };
      if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else {
        process.stdout.write(
          `Imported ${report.loaded.length} tensors (${report.skipped.length} skipped, ${report.reinitialised.length} re-initialised) into ${summary.arch}; wrote ${values.to} to ${out}\n`,
        );
      }
    } finally {
      model.dispose();
    }
    return 0;
  }
  throw new AppError('BAD_REQUEST', `Unknown weights subcommand "${sub ?? ''}"; usage:\n       ${WEIGHTS_USAGE}`);
}
