/**
 * Maps a weights file's tensors onto a ResNet by torchvision name: plans what is loaded, skipped
 * (with the reason) and re-initialised, refuses on missing/unexpected keys or shape mismatches
 * (listing each with expected and found shapes), then copies the tensors into the model
 * (OIHW → HWIO, [out, in] → [in, out] for torch-layout files).
 *
 * Name handling: a DataParallel `module.` prefix is stripped; a MoCo checkpoint (keys
 * `module.encoder_q.*`) keeps only the query encoder, dropping `encoder_k.*` (momentum encoder),
 * `queue`/`queue_ptr` and the projection head `fc.*`; the classification head is then
 * re-initialised. A head whose class count differs (e.g. ImageNet's 1000) is re-initialised too
 * (unless `reinitialiseHead: false`).
 *
 * Non-finite values: a tensor holding NaN or ±∞ makes every prediction NaN (PyTorch's behaviour,
 * which every backend follows), so importWeights refuses such files unless `allowNonFinite`, naming
 * the file and the first tensors with their counts. Every load of weights into a model (predict,
 * weights convert, training's initialisation from a file and resume from a checkpoint) goes through
 * importWeights, so this is the one place the check is made.
 */
import tf from '@tensorflow/tfjs';
import { AppError, type FieldIssue } from '../../../src-shared/errors';
import type { ResNet } from '../models/resnet';
import { RESNET_DEPTHS, archName, resnetParamSpecs, type ParamSpec, type ResNetConfig, type ResNetDepth } from '../models/resnet-spec';
import type { WeightFile } from './read';
import { isFloatDType, shapeString, toBigInts, toFloat32, type RawTensor, type TensorLayout } from './tensors';

export interface ImportOptions {
  /** Re-initialise `fc` when the file has none or one of another size; default true. */
  reinitialiseHead?: boolean;
  /** Skip (instead of refusing) tensors that match no parameter; default false. */
  ignoreUnexpected?: boolean;
  /** Seed for re-initialised parameters. */
  seed?: number;
  /** Load tensors holding NaN or ±∞ instead of refusing the file; default false. */
  allowNonFinite?: boolean;
}

/** Non-finite values of one tensor (after conversion to float32, as the model would hold them). */
export interface NonFiniteCount {
  name: string;
  nan: number;
  posInf: number;
  negInf: number;
}

/** The tensor's NaN/+∞/−∞ counts, or null when all its values are finite (integer tensors always are). */
export function countNonFinite(name: string, raw: RawTensor): NonFiniteCount | null {
  if (!isFloatDType(raw.dtype)) return null;
  const values = toFloat32(raw);
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v === 0) continue; // finite
    if (v !== v) nan++;
    else if (v > 0) posInf++;
    else negInf++;
  }
  return nan + posInf + negInf === 0 ? null : { name, nan, posInf, negInf };
}

/** Non-finite counts of the named tensors of `file` (all of them by default), in file order. */
export function nonFiniteTensors(file: Pick<WeightFile, 'tensors'>, names?: Iterable<string>): NonFiniteCount[] {
  const out: NonFiniteCount[] = [];
  for (const name of names ?? file.tensors.keys()) {
    const raw = file.tensors.get(name);
    const c = raw ? countNonFinite(name, raw) : null;
    if (c) out.push(c);
  }
  return out;
}

/** "NaN ×3, +inf ×9408" for one tensor's counts. */
export function formatNonFinite(c: NonFiniteCount): string {
  const parts = [
    ...(c.nan > 0 ? [`NaN ×${c.nan}`] : []),
    ...(c.posInf > 0 ? [`+inf ×${c.posInf}`] : []),
    ...(c.negInf > 0 ? [`−inf ×${c.negInf}`] : []),
  ];
  return parts.join(', ');
}

/** Throws BAD_REQUEST naming `file` and its first tensors with non-finite values (none: returns). */
export function assertFiniteWeights(file: string, counts: readonly NonFiniteCount[]): void {
  if (counts.length === 0) return;
  const shown = counts.slice(0, 5).map((c) => `${c.name} (${formatNonFinite(c)})`);
  const more = counts.length > shown.length ? `, … and ${counts.length - shown.length} more` : '';
  throw new AppError(
    'BAD_REQUEST',
    `${file} holds non-finite values (NaN or ±inf) in ${counts.length} tensor${counts.length === 1 ? '' : 's'}: ${shown.join(', ')}${more}. ` +
      'A model with them predicts NaN, so they are not loaded (funduslab predict and weights convert load them anyway with --allow-non-finite; ' +
      'funduslab weights inspect lists them).',
    counts.map((c) => ({ path: c.name, message: `non-finite values: ${formatNonFinite(c)}` })),
  );
}

export interface PlannedLoad {
  name: string;
  source: string;
  shape: number[];
}
export interface PlannedSkip {
  name: string;
  shape: number[];
  reason: string;
}

export interface ImportPlan {
  arch: string;
  classes: number;
  loaded: PlannedLoad[];
  /** Tensors in the file that are not loaded, with the reason. */
  skipped: PlannedSkip[];
  /** Model parameters not taken from the file but initialised afresh, with the reason. */
  reinitialised: PlannedSkip[];
  /** Problems that make the import impossible (empty when `ok`). */
  missing: { name: string; expectedShape: number[] }[];
  mismatched: { name: string; source: string; expectedShape: number[]; foundShape: number[] }[];
  unexpected: { name: string; shape: number[] }[];
  ok: boolean;
  /** Whether the file is a MoCo checkpoint (query encoder kept). */
  moco: boolean;
}

export interface CanonicalName {
  source: string;
  /** The torchvision name, or null when the tensor is dropped. */
  name: string | null;
  reason?: string;
}

/** Strips `module.` / MoCo prefixes; returns for every tensor its torchvision name or why it is dropped. */
export function canonicalNames(names: readonly string[]): { moco: boolean; names: CanonicalName[] } {
  const mocoPrefix = ['module.encoder_q.', 'encoder_q.'].find((p) => names.some((n) => n.startsWith(p)));
  if (mocoPrefix) {
    const outer = mocoPrefix.slice(0, mocoPrefix.length - 'encoder_q.'.length);
    return {
      moco: true,
      names: names.map((source): CanonicalName => {
        if (source.startsWith(mocoPrefix)) {
          const name = source.slice(mocoPrefix.length);
          if (/^fc\./.test(name)) return { source, name: null, reason: 'MoCo projection head (the classifier gets a new head)' };
          return { source, name };
        }
        if (source.startsWith(`${outer}encoder_k.`)) return { source, name: null, reason: 'MoCo key (momentum) encoder' };
        if (source === `${outer}queue` || source === `${outer}queue_ptr`)
          return { source, name: null, reason: 'MoCo queue of negative keys' };
        return { source, name: source };
      }),
    };
  }
  const strip = names.length > 0 && names.every((n) => n.startsWith('module.'));
  return { moco: false, names: names.map((source) => ({ source, name: strip ? source.slice('module.'.length) : source })) };
}

function expectedShape(spec: ParamSpec, layout: TensorLayout): number[] {
  return layout === 'torch' ? spec.torchShape : spec.tfjsShape;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function planImport(file: Pick<WeightFile, 'tensors' | 'layout'>, config: ResNetConfig, opts: ImportOptions = {}): ImportPlan {
  const reinitHead = opts.reinitialiseHead ?? true;
  const specs = resnetParamSpecs(config);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const { moco, names } = canonicalNames([...file.tensors.keys()]);
  const plan: ImportPlan = {
    arch: archName(config),
    classes: config.classes,
    loaded: [],
    skipped: [],
    reinitialised: [],
    missing: [],
    mismatched: [],
    unexpected: [],
    ok: false,
    moco,
  };
  const found = new Map<string, { source: string; tensor: RawTensor }>();
  for (const c of names) {
    const t = file.tensors.get(c.source)!;
    if (c.name === null) plan.skipped.push({ name: c.source, shape: t.shape, reason: c.reason ?? 'dropped' });
    else if (!byName.has(c.name)) {
      if (opts.ignoreUnexpected) plan.skipped.push({ name: c.source, shape: t.shape, reason: `no parameter "${c.name}" in ${plan.arch}` });
      else plan.unexpected.push({ name: c.source, shape: t.shape });
    } else found.set(c.name, { source: c.source, tensor: t });
  }
  const headMismatch = ['fc.weight', 'fc.bias'].some((n) => {
    const f = found.get(n);
    return f !== undefined && !sameShape(f.tensor.shape, expectedShape(byName.get(n)!, file.layout));
  });
  for (const spec of specs) {
    const expected = expectedShape(spec, file.layout);
    const f = found.get(spec.name);
    const isHead = spec.module === 'fc';
    if (isHead && reinitHead && (f === undefined || headMismatch)) {
      let reason: string;
      if (f) {
        const classes = file.layout === 'torch' ? found.get('fc.weight')?.tensor.shape[0] : found.get('fc.weight')?.tensor.shape[1];
        reason = `new classification head: the file's head has shape ${shapeString(f.tensor.shape)}${classes !== undefined ? ` (${classes} outputs)` : ''}, the model needs ${shapeString(expected)} (${config.classes} classes)`;
        plan.skipped.push({
          name: f.source,
          shape: f.tensor.shape,
          reason: `classification head of another size (re-initialised in the model)`,
        });
      } else
        reason = moco
          ? 'new classification head (MoCo checkpoints carry only a projection head)'
          : 'new classification head (the file has none)';
      plan.reinitialised.push({ name: spec.name, shape: expected, reason });
      continue;
    }
    if (!f) {
      if (spec.role === 'bn.num_batches_tracked')
        plan.reinitialised.push({ name: spec.name, shape: [], reason: 'not in the file (saved by an older PyTorch); set to 0' });
      else plan.missing.push({ name: spec.name, expectedShape: expected });
      continue;
    }
    if (!sameShape(f.tensor.shape, expected))
      plan.mismatched.push({ name: spec.name, source: f.source, expectedShape: expected, foundShape: f.tensor.shape });
    else plan.loaded.push({ name: spec.name, source: f.source, shape: expected });
  }
  plan.ok = plan.missing.length === 0 && plan.mismatched.length === 0 && plan.unexpected.length === 0;
  return plan;
}

/** The plan's problems as field issues and one message (empty when the plan is ok). */
export function planProblems(plan: ImportPlan): FieldIssue[] {
  return [
    ...plan.missing.map((m) => ({ path: m.name, message: `missing from the file (expected shape ${shapeString(m.expectedShape)})` })),
    ...plan.mismatched.map((m) => ({
      path: m.name,
      message: `shape mismatch: expected ${shapeString(m.expectedShape)}, found ${shapeString(m.foundShape)}${m.source !== m.name ? ` (as ${m.source})` : ''}`,
    })),
    ...plan.unexpected.map((u) => ({
      path: u.name,
      message: `unexpected tensor of shape ${shapeString(u.shape)} (no such parameter in ${plan.arch})`,
    })),
  ];
}

export interface ImportReport extends ImportPlan {
  file: string;
  format: WeightFile['format'];
}

/** Imports `file` into `model` (throws BAD_REQUEST listing every problem when the plan is not ok). */
export function importWeights(model: ResNet, file: WeightFile, opts: ImportOptions = {}): ImportReport {
  const plan = planImport(file, model.config, opts);
  if (!plan.ok) {
    const issues = planProblems(plan);
    const shown = issues.slice(0, 12).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > shown.length ? `; … and ${issues.length - shown.length} more` : '';
    throw new AppError(
      'BAD_REQUEST',
      `Cannot import ${file.file} into ${plan.arch} (${plan.classes} classes): ${plan.missing.length} missing, ${plan.mismatched.length} with the wrong shape, ${plan.unexpected.length} unexpected — ${shown.join('; ')}${more}`,
      issues,
    );
  }
  const nonFinite = nonFiniteTensors(
    file,
    plan.loaded.map((l) => l.source),
  );
  if (!opts.allowNonFinite) assertFiniteWeights(file.file, nonFinite);
  const specs = new Map(model.specs.map((s) => [s.name, s]));
  for (const l of plan.loaded) {
    const spec = specs.get(l.name)!;
    const raw = file.tensors.get(l.source)!;
    if (spec.role === 'bn.num_batches_tracked') {
      model.batchesTracked.set(spec.module, Number(toBigInts(raw)[0] ?? 0n));
      continue;
    }
    const values = toFloat32(raw);
    tf.tidy(() => {
      let t = tf.tensor(values, raw.shape, 'float32');
      if (file.layout === 'torch') {
        if (spec.role === 'conv.weight') t = tf.transpose(t, [2, 3, 1, 0]);
        else if (spec.role === 'fc.weight') t = tf.transpose(t, [1, 0]);
      }
      model.variable(l.name).assign(t);
    });
  }
  if (plan.reinitialised.some((r) => r.name === 'fc.weight')) model.reinitialiseHead(opts.seed ?? 0);
  model.nonFiniteWeights = nonFinite.length > 0;
  for (const r of plan.reinitialised) {
    const spec = specs.get(r.name)!;
    if (spec.role === 'bn.num_batches_tracked') model.batchesTracked.set(spec.module, 0);
  }
  return { ...plan, file: file.file, format: file.format };
}

export interface DetectedArchitecture {
  arch: string;
  depth: ResNetDepth;
  width: number;
  block: 'basic' | 'bottleneck';
  /** Classes of the file's classification head; null when it has none (e.g. MoCo). */
  classes: number | null;
  moco: boolean;
}

/** Recognises a torchvision ResNet (any base width) from tensor names and shapes; null if it is not one. */
export function detectArchitecture(file: Pick<WeightFile, 'tensors' | 'layout'>): DetectedArchitecture | null {
  const { moco, names } = canonicalNames([...file.tensors.keys()]);
  const shapes = new Map<string, number[]>();
  for (const c of names) if (c.name !== null) shapes.set(c.name, file.tensors.get(c.source)!.shape);
  const conv1 = shapes.get('conv1.weight');
  if (!conv1 || conv1.length !== 4) return null;
  const width = file.layout === 'torch' ? conv1[0]! : conv1[3]!;
  const block = shapes.has('layer1.0.conv3.weight') ? 'bottleneck' : 'basic';
  const counts = [1, 2, 3, 4].map((i) => {
    const idx = new Set<string>();
    for (const n of shapes.keys()) {
      const m = new RegExp(`^layer${i}\\.(\\d+)\\.`).exec(n);
      if (m) idx.add(m[1]!);
    }
    return idx.size;
  });
  const depth = (Object.keys(RESNET_DEPTHS).map(Number) as ResNetDepth[]).find((d) => {
    const l = RESNET_DEPTHS[d];
    return l.block === block && l.blocks.every((b, i) => b === counts[i]);
  });
  if (depth === undefined) return null;
  const fc = shapes.get('fc.weight');
  const classes = fc && fc.length === 2 ? (file.layout === 'torch' ? fc[0]! : fc[1]!) : null;
  return { arch: archName({ depth, width }), depth, width, block, classes, moco };
}
