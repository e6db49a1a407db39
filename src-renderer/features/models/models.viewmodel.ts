/**
 * What the Models page shows about a weights file (`weights.inspect`): pure functions from the
 * contract's WeightsInspection to ready-to-render view models (no React, no DOM; unit-tested in
 * test/unit/renderer/models.viewmodel.test.ts).
 */
import type { ImportPlanSummary, WeightsInspection } from '../../../src-shared/weights';

/** The two weights an IFI study needs from the user. */
export type WeightsSlot = 'fs' | 'cl';

export const SLOTS: Record<WeightsSlot, { title: string; description: string; dialogTitle: string; placeholder: string }> = {
  fs: {
    title: 'ImageNet supervised weights (for IFI-FS)',
    description:
      'A torchvision ResNet trained on ImageNet with labels, e.g. resnet50-0676ba61.pth (torch.save), a .safetensors export, or a tfjs model.json.',
    dialogTitle: 'Choose ImageNet supervised weights',
    placeholder: '/path/to/resnet50-0676ba61.pth',
  },
  cl: {
    title: 'MoCo v2 ImageNet checkpoint (for IFI-CL)',
    description:
      'A MoCo v2 checkpoint pretrained on ImageNet without labels, e.g. moco_v2_800ep_pretrain.pth.tar; only the query encoder is used.',
    dialogTitle: 'Choose a MoCo v2 ImageNet checkpoint',
    placeholder: '/path/to/moco_v2_800ep_pretrain.pth.tar',
  },
};

/** Filters of the native file dialog (the dialog adds "All files"). */
export const WEIGHT_FILE_FILTERS = [
  { name: 'Weights (.pth, .pt, .tar, .safetensors, model.json)', extensions: ['pth', 'pt', 'tar', 'bin', 'safetensors', 'json'] },
];

/**
 * Architectures an import is planned for in one request (the contract allows 8): the paper's
 * ResNet50 and ResNet18, and reduced widths for quick experiments on a CPU.
 */
export const TARGET_ARCHS = ['resnet50', 'resnet18', 'resnet50-w32', 'resnet50-w16', 'resnet50-w8', 'resnet50-w4', 'resnet18-w4'] as const;
export const DEFAULT_TARGET = 'resnet50';

export function targetLabel(arch: string): string {
  const m = /^resnet(\d+)(?:-w(\d+))?$/.exec(arch);
  if (!m) return arch;
  return m[2] ? `ResNet${m[1]}, width ${m[2]}` : `ResNet${m[1]} (standard)`;
}

/** `[64, 3, 7, 7]` → `64×3×7×7`; a scalar → `scalar`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export interface Verdict {
  ok: boolean;
  text: string;
}

/** "Loads: 318 tensors; fc re-initialised for 5 classes" / "Cannot import: 12 missing, 3 shape mismatches". */
export function verdict(plan: ImportPlanSummary): Verdict {
  if (plan.ok) {
    const head = plan.reinitialised.some((r) => r.name === 'fc.weight')
      ? `; fc re-initialised for ${plural(plan.classes, 'class', 'classes')}`
      : plan.loaded.some((l) => l.name === 'fc.weight')
        ? `, including its ${plan.classes}-class head`
        : '';
    const others = plan.reinitialised.filter((r) => !r.name.startsWith('fc.')).length;
    const more = others > 0 ? `; ${plural(others, 'other tensor')} re-initialised` : '';
    return { ok: true, text: `Loads: ${plural(plan.loaded.length, 'tensor')}${head}${more}` };
  }
  const parts = [
    plan.missing.length > 0 ? `${plan.missing.length.toLocaleString('en-US')} missing` : null,
    plan.mismatched.length > 0 ? plural(plan.mismatched.length, 'shape mismatch', 'shape mismatches') : null,
    plan.unexpected.length > 0 ? `${plan.unexpected.length.toLocaleString('en-US')} unexpected` : null,
  ].filter((p): p is string => p !== null);
  return { ok: false, text: `Cannot import: ${parts.join(', ')}` };
}

/**
 * A short name for a set of tensor names: the names themselves when there are at most `listUpTo`,
 * otherwise their common dotted prefix with `*` (`module.encoder_k.*`).
 */
export function namePattern(names: readonly string[], listUpTo = 3): string {
  if (names.length === 0) return '';
  if (names.length <= listUpTo) return names.join(', ');
  let prefix = names[0]!;
  for (const n of names) {
    let i = 0;
    while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const cut = prefix.lastIndexOf('.');
  return cut >= 0 ? `${prefix.slice(0, cut + 1)}*` : `${names.length} tensors`;
}

export interface ReasonGroup {
  reason: string;
  count: number;
  /** e.g. `module.encoder_k.*`, or the names when there are few. */
  pattern: string;
  names: string[];
}

/** Groups tensors by reason, in order of first appearance (the engine lists them in file order). */
export function groupByReason(items: readonly { name: string; reason: string }[]): ReasonGroup[] {
  const groups = new Map<string, string[]>();
  for (const i of items) {
    const names = groups.get(i.reason);
    if (names) names.push(i.name);
    else groups.set(i.reason, [i.name]);
  }
  return [...groups].map(([reason, names]) => ({ reason, count: names.length, pattern: namePattern(names), names }));
}

export interface PlanRow {
  primary: string;
  secondary: string;
}

export interface PlanSection {
  id: 'loaded' | 'skipped' | 'reinitialised' | 'missing' | 'mismatched' | 'unexpected';
  title: string;
  count: number;
  /** Problems are shown open and in the error colour. */
  problem: boolean;
  /** Grouped by reason (skipped, re-initialised), else one row per tensor. */
  groups: ReasonGroup[] | null;
  rows: PlanRow[];
}

export interface PlanView {
  arch: string;
  archLabel: string;
  verdict: Verdict;
  sections: PlanSection[];
}

/** The import plan as sections; empty sections are left out. */
export function planView(plan: ImportPlanSummary): PlanView {
  const sections: PlanSection[] = [
    {
      id: 'missing',
      title: 'Missing from the file',
      count: plan.missing.length,
      problem: true,
      groups: null,
      rows: plan.missing.map((m) => ({ primary: m.name, secondary: `expected ${formatShape(m.expectedShape)}` })),
    },
    {
      id: 'mismatched',
      title: 'Wrong shape',
      count: plan.mismatched.length,
      problem: true,
      groups: null,
      rows: plan.mismatched.map((m) => ({
        primary: m.source === m.name ? m.name : `${m.name} (as ${m.source})`,
        secondary: `expected ${formatShape(m.expectedShape)}, found ${formatShape(m.foundShape)}`,
      })),
    },
    {
      id: 'unexpected',
      title: `Unexpected (no such parameter in ${plan.arch})`,
      count: plan.unexpected.length,
      problem: true,
      groups: null,
      rows: plan.unexpected.map((u) => ({ primary: u.name, secondary: formatShape(u.shape) })),
    },
    {
      id: 'loaded',
      title: 'Loaded',
      count: plan.loaded.length,
      problem: false,
      groups: null,
      rows: plan.loaded.map((l) => ({
        primary: l.name,
        secondary: `${formatShape(l.shape)}${l.source !== l.name ? ` ← ${l.source}` : ''}`,
      })),
    },
    {
      id: 'skipped',
      title: 'Skipped (in the file, not loaded)',
      count: plan.skipped.length,
      problem: false,
      groups: groupByReason(plan.skipped),
      rows: [],
    },
    {
      id: 'reinitialised',
      title: 'Re-initialised (not taken from the file)',
      count: plan.reinitialised.length,
      problem: false,
      groups: groupByReason(plan.reinitialised),
      rows: [],
    },
  ];
  return { arch: plan.arch, archLabel: targetLabel(plan.arch), verdict: verdict(plan), sections: sections.filter((s) => s.count > 0) };
}

const FORMAT_NAMES: Record<WeightsInspection['format'], string> = {
  'torch-zip': 'PyTorch torch.save (zip)',
  'torch-legacy': 'PyTorch torch.save (legacy format)',
  safetensors: 'safetensors',
  tfjs: 'TensorFlow.js model.json',
};

/** "resnet50 · bottleneck blocks · base width 64 · 1000 classes" / "… · no head (MoCo)". */
export function detectedText(detected: WeightsInspection['detected']): string {
  if (!detected) return 'Not a torchvision ResNet';
  const head =
    detected.classes === null
      ? detected.moco
        ? 'no head (MoCo)'
        : 'no classification head'
      : plural(detected.classes, 'class', 'classes');
  return `${detected.arch} · ${detected.block} blocks · base width ${detected.width} · ${head}${detected.moco && detected.classes !== null ? ' · MoCo' : ''}`;
}

export interface SummaryRow {
  label: string;
  value: string;
  mono?: boolean;
}

/** The file summary: format, detected architecture, tensors, parameters, dtypes, checkpoint fields. */
export function inspectionSummary(r: WeightsInspection): SummaryRow[] {
  const rows: SummaryRow[] = [
    { label: 'File', value: r.file, mono: true },
    { label: 'Format', value: `${FORMAT_NAMES[r.format]}${r.stateDictKey ? `; state dict under "${r.stateDictKey}"` : ''}` },
    { label: 'Detected', value: detectedText(r.detected) },
    { label: 'Tensors', value: `${r.tensors.count.toLocaleString('en-US')} (${r.tensors.elements.toLocaleString('en-US')} elements)` },
    { label: 'Parameters', value: `${r.tensors.parameters.toLocaleString('en-US')} (without BatchNorm running statistics)` },
    {
      label: 'Data types',
      value: Object.entries(r.tensors.dtypes)
        .sort((a, b) => b[1] - a[1])
        .map(([d, n]) => `${d} ×${n}`)
        .join(', '),
    },
  ];
  if (r.otherFields.length > 0)
    rows.push({ label: 'Checkpoint fields', value: r.otherFields.map((f) => `${f.key} = ${f.description}`).join('; ') });
  const meta = Object.entries(r.metadata);
  if (meta.length > 0) rows.push({ label: 'Metadata', value: meta.map(([k, v]) => `${k} = ${v}`).join('; ') });
  return rows;
}

/** A file that does not fit its slot (a MoCo checkpoint as supervised weights, or the other way round). */
export function slotWarning(slot: WeightsSlot, r: WeightsInspection): string | null {
  if (!r.detected) return null;
  if (slot === 'fs' && r.detected.moco)
    return 'This is a MoCo (self-supervised) checkpoint; IFI-FS starts from ImageNet-supervised weights. Use it for IFI-CL instead.';
  if (slot === 'cl' && !r.detected.moco)
    return 'This file is not a MoCo checkpoint (no encoder_q.* tensors); IFI-CL starts from MoCo v2 weights.';
  return null;
}

/** The plan for `target`, or null when the inspection has none (it was asked for other architectures). */
export function planFor(r: WeightsInspection, target: string): ImportPlanSummary | null {
  return r.imports.find((p) => p.arch === target) ?? null;
}

/**
 * When the plan for `target` fails but the file holds another architecture the page offers, that
 * architecture (so the page can offer to switch); otherwise null.
 */
export function suggestedTarget(r: WeightsInspection, target: string): string | null {
  const current = planFor(r, target);
  const detected = r.detected?.arch;
  if (!current || current.ok || !detected || detected === target) return null;
  return planFor(r, detected)?.ok ? detected : null;
}
