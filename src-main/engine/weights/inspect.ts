/**
 * `weights inspect`: what a weights file holds and what importing it into each architecture would
 * do, and which tensors hold non-finite values (NaN, +∞, −∞; such files are refused by imports).
 * Pure over the parsed file (no tfjs).
 */
import { DEFAULT_CLASSES, parseArch } from '../models/resnet-spec';
import {
  detectArchitecture,
  formatNonFinite,
  nonFiniteTensors,
  planImport,
  type DetectedArchitecture,
  type ImportPlan,
  type NonFiniteCount,
} from './import';
import { readWeightFile, type CheckpointField, type WeightFile, type WeightFormat } from './read';
import { numel, shapeString, type DType, type TensorLayout } from './tensors';

export interface InspectReport {
  file: string;
  format: WeightFormat;
  layout: TensorLayout;
  stateDictKey: string | null;
  otherFields: CheckpointField[];
  metadata: Record<string, string>;
  tensors: {
    count: number;
    /** Elements of all tensors. */
    elements: number;
    /** Elements of learnable parameters (without BatchNorm running statistics and counters). */
    parameters: number;
    dtypes: Partial<Record<DType, number>>;
  };
  /** Tensors holding NaN or ±∞ (counted after conversion to float32), in file order; empty when all are finite. */
  nonFinite: NonFiniteCount[];
  detected: DetectedArchitecture | null;
  imports: ImportPlan[];
}

const BUFFER = /\.(running_mean|running_var|num_batches_tracked)$/;

export function inspectWeightFile(file: WeightFile, opts: { classes?: number; archs?: string[] } = {}): InspectReport {
  const classes = opts.classes ?? DEFAULT_CLASSES;
  const dtypes: Partial<Record<DType, number>> = {};
  let elements = 0;
  let parameters = 0;
  for (const [name, t] of file.tensors) {
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    const n = numel(t.shape);
    elements += n;
    if (!BUFFER.test(name)) parameters += n;
  }
  const detected = detectArchitecture(file);
  const archs = opts.archs ?? [...new Set(['resnet50', 'resnet18', ...(detected ? [detected.arch] : [])])];
  return {
    file: file.file,
    format: file.format,
    layout: file.layout,
    stateDictKey: file.stateDictKey,
    otherFields: file.otherFields,
    metadata: file.metadata,
    tensors: { count: file.tensors.size, elements, parameters, dtypes },
    nonFinite: nonFiniteTensors(file),
    detected,
    imports: archs.map((a) => planImport(file, parseArch(a, classes))),
  };
}

export async function inspectWeights(path: string, opts: { classes?: number; archs?: string[] } = {}): Promise<InspectReport> {
  return inspectWeightFile(await readWeightFile(path), opts);
}

function listSome<T>(items: T[], show: (t: T) => string, max = 8): string[] {
  const lines = items.slice(0, max).map((i) => `      ${show(i)}`);
  if (items.length > max) lines.push(`      … and ${items.length - max} more`);
  return lines;
}

/** Groups skip reasons: "12 × MoCo key (momentum) encoder". */
function groupReasons(items: { reason: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.reason, (counts.get(i.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `      ${n} × ${reason}`);
}

export function formatInspectReport(r: InspectReport): string {
  const lines = [
    `File:     ${r.file}`,
    `Format:   ${r.format} (${r.layout} layout)${r.stateDictKey ? `, state dict under "${r.stateDictKey}"` : ''}`,
    `Tensors:  ${r.tensors.count} (${r.tensors.elements.toLocaleString('en-US')} elements, ${r.tensors.parameters.toLocaleString('en-US')} parameters); dtypes: ${Object.entries(
      r.tensors.dtypes,
    )
      .map(([d, n]) => `${d} ×${n}`)
      .join(', ')}`,
  ];
  if (r.otherFields.length > 0)
    lines.push(`Other checkpoint fields (not loaded): ${r.otherFields.map((f) => `${f.key} = ${f.description}`).join('; ')}`);
  if (Object.keys(r.metadata).length > 0) lines.push(`Metadata: ${JSON.stringify(r.metadata)}`);
  lines.push(
    r.nonFinite.length === 0
      ? 'Values:   all finite'
      : `Values:   NON-FINITE in ${r.nonFinite.length} tensor${r.nonFinite.length === 1 ? '' : 's'} (imports refuse this file unless --allow-non-finite):`,
    ...listSome(r.nonFinite, (c) => `${c.name}: ${formatNonFinite(c)}`, 20),
  );
  lines.push(
    r.detected
      ? `Detected: ${r.detected.arch} (${r.detected.block} blocks, base width ${r.detected.width}), ${r.detected.classes === null ? 'no classification head' : `${r.detected.classes} classes`}${r.detected.moco ? ', MoCo checkpoint (query encoder)' : ''}`
      : 'Detected: not a torchvision ResNet',
  );
  for (const p of r.imports) {
    lines.push(
      `Import into ${p.arch} (${p.classes} classes): ${p.ok ? 'OK' : 'NOT POSSIBLE'} — ${p.loaded.length} loaded, ${p.skipped.length} skipped, ${p.reinitialised.length} re-initialised`,
    );
    if (p.skipped.length > 0) lines.push('    skipped:', ...groupReasons(p.skipped));
    if (p.reinitialised.length > 0)
      lines.push('    re-initialised:', ...listSome(p.reinitialised, (x) => `${x.name} ${shapeString(x.shape)}: ${x.reason}`));
    if (p.missing.length > 0)
      lines.push(`    missing (${p.missing.length}):`, ...listSome(p.missing, (x) => `${x.name} expected ${shapeString(x.expectedShape)}`));
    if (p.mismatched.length > 0)
      lines.push(
        `    wrong shape (${p.mismatched.length}):`,
        ...listSome(p.mismatched, (x) => `${x.name}: expected ${shapeString(x.expectedShape)}, found ${shapeString(x.foundShape)}`),
      );
    if (p.unexpected.length > 0)
      lines.push(`    unexpected (${p.unexpected.length}):`, ...listSome(p.unexpected, (x) => `${x.name} ${shapeString(x.shape)}`));
  }
  return lines.join('\n');
}
