import { describe, expect, it } from 'vitest';
import type { ImportPlanSummary, WeightsInspection } from '../../../src-shared/weights';
import {
  detectedText,
  formatShape,
  groupByReason,
  inspectionSummary,
  namePattern,
  planFor,
  planView,
  slotWarning,
  suggestedTarget,
  targetLabel,
  verdict,
} from '../../../src-renderer/features/models/models.viewmodel';

function plan(over: Partial<ImportPlanSummary> = {}): ImportPlanSummary {
  return {
    arch: 'resnet50',
    classes: 5,
    ok: true,
    moco: false,
    loaded: [],
    skipped: [],
    reinitialised: [],
    missing: [],
    mismatched: [],
    unexpected: [],
    ...over,
  };
}
const loaded = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `p${i}.weight`, source: `p${i}.weight`, shape: [2] }));
const skip = (name: string, reason: string) => ({ name, shape: [1], reason });

describe('verdict', () => {
  it('an importable plan: tensors loaded and the head re-initialised for the classes', () => {
    const p = plan({ loaded: loaded(318), reinitialised: [skip('fc.weight', 'new head'), skip('fc.bias', 'new head')] });
    expect(verdict(p)).toEqual({ ok: true, text: 'Loads: 318 tensors; fc re-initialised for 5 classes' });
  });
  it('one class, one tensor, and other re-initialised tensors are counted', () => {
    const p = plan({
      classes: 1,
      loaded: loaded(1),
      reinitialised: [skip('fc.weight', 'h'), skip('bn1.num_batches_tracked', 'old torch')],
    });
    expect(verdict(p).text).toBe('Loads: 1 tensor; fc re-initialised for 1 class; 1 other tensor re-initialised');
  });
  it('a file whose head fits says the head is loaded too', () => {
    expect(verdict(plan({ loaded: loaded(3) })).text).toBe('Loads: 3 tensors');
    const withHead = [...loaded(2), { name: 'fc.weight', source: 'fc.weight', shape: [5, 8] }];
    expect(verdict(plan({ loaded: withHead })).text).toBe('Loads: 3 tensors, including its 5-class head');
  });
  it('an impossible plan lists only the non-zero problems', () => {
    const missing = Array.from({ length: 12 }, (_, i) => ({ name: `m${i}`, expectedShape: [1] }));
    const mismatched = Array.from({ length: 3 }, (_, i) => ({ name: `x${i}`, source: `x${i}`, expectedShape: [2], foundShape: [3] }));
    expect(verdict(plan({ ok: false, missing, mismatched }))).toEqual({ ok: false, text: 'Cannot import: 12 missing, 3 shape mismatches' });
    expect(verdict(plan({ ok: false, mismatched: mismatched.slice(0, 1), unexpected: [{ name: 'u', shape: [] }] })).text).toBe(
      'Cannot import: 1 shape mismatch, 1 unexpected',
    );
  });
});

describe('grouping skipped tensors by reason', () => {
  const skipped = [
    skip('module.encoder_q.fc.0.weight', 'MoCo projection head'),
    skip('module.encoder_k.conv1.weight', 'MoCo key (momentum) encoder'),
    skip('module.encoder_q.fc.0.bias', 'MoCo projection head'),
    skip('module.encoder_k.bn1.weight', 'MoCo key (momentum) encoder'),
    skip('module.encoder_k.layer1.0.conv1.weight', 'MoCo key (momentum) encoder'),
    skip('module.encoder_k.fc.2.bias', 'MoCo key (momentum) encoder'),
    skip('module.encoder_q.fc.2.weight', 'MoCo projection head'),
    skip('module.encoder_q.fc.2.bias', 'MoCo projection head'),
    skip('module.queue', 'MoCo queue of negative keys'),
    skip('module.queue_ptr', 'MoCo queue of negative keys'),
  ];
  it('counts per reason in order of first appearance, with a name pattern', () => {
    expect(groupByReason(skipped).map(({ reason, count, pattern }) => ({ reason, count, pattern }))).toEqual([
      { reason: 'MoCo projection head', count: 4, pattern: 'module.encoder_q.fc.*' },
      { reason: 'MoCo key (momentum) encoder', count: 4, pattern: 'module.encoder_k.*' },
      { reason: 'MoCo queue of negative keys', count: 2, pattern: 'module.queue, module.queue_ptr' },
    ]);
  });
  it('counts add up to the input and every name is kept', () => {
    const groups = groupByReason(skipped);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(skipped.length);
    expect(groups.flatMap((g) => g.names).sort()).toEqual(skipped.map((s) => s.name).sort());
  });
  it('namePattern: the common dotted prefix, never a partial segment; a count when nothing is shared', () => {
    expect(namePattern(['layer1.0.conv1.weight', 'layer1.1.conv1.weight', 'layer1.10.bn1.bias', 'layer1.2.x'])).toBe('layer1.*');
    expect(namePattern(['queue_a', 'queue_b', 'queue_c', 'queue_d'])).toBe('4 tensors');
    expect(namePattern(['a'])).toBe('a');
    expect(namePattern([])).toBe('');
  });
});

describe('planView', () => {
  it('puts problems first, open, and leaves out empty sections', () => {
    const v = planView(
      plan({
        ok: false,
        loaded: loaded(2),
        mismatched: [
          { name: 'conv1.weight', source: 'module.encoder_q.conv1.weight', expectedShape: [64, 3, 7, 7], foundShape: [4, 3, 7, 7] },
        ],
        missing: [{ name: 'fc.bias', expectedShape: [5] }],
        skipped: [skip('module.queue', 'queue')],
      }),
    );
    expect(v.sections.map((s) => [s.id, s.count, s.problem])).toEqual([
      ['missing', 1, true],
      ['mismatched', 1, true],
      ['loaded', 2, false],
      ['skipped', 1, false],
    ]);
    expect(v.sections[0]!.rows).toEqual([{ primary: 'fc.bias', secondary: 'expected 5' }]);
    expect(v.sections[1]!.rows).toEqual([
      { primary: 'conv1.weight (as module.encoder_q.conv1.weight)', secondary: 'expected 64×3×7×7, found 4×3×7×7' },
    ]);
    expect(v.sections[3]!.groups).toHaveLength(1);
    expect(v.archLabel).toBe('ResNet50 (standard)');
  });
});

const inspection = (over: Partial<WeightsInspection> = {}): WeightsInspection => ({
  file: '/w/moco.pth.tar',
  format: 'torch-zip',
  layout: 'torch',
  stateDictKey: 'state_dict',
  otherFields: [
    { key: 'epoch', description: '200' },
    { key: 'arch', description: '"resnet50"' },
  ],
  metadata: {},
  tensors: { count: 642, elements: 1000, parameters: 900, dtypes: { int64: 106, float32: 536 } },
  detected: { arch: 'resnet50', depth: 50, width: 64, block: 'bottleneck', classes: null, moco: true },
  imports: [plan({ arch: 'resnet50' }), plan({ arch: 'resnet18', ok: false })],
  ...over,
});

describe('the file summary', () => {
  it('shows format, detected architecture, counts, dtypes (most first) and checkpoint fields', () => {
    const rows = Object.fromEntries(inspectionSummary(inspection()).map((r) => [r.label, r.value]));
    expect(rows.Format).toBe('PyTorch torch.save (zip); state dict under "state_dict"');
    expect(rows.Detected).toBe('resnet50 · bottleneck blocks · base width 64 · no head (MoCo)');
    expect(rows.Tensors).toBe('642 (1,000 elements)');
    expect(rows['Data types']).toBe('float32 ×536, int64 ×106');
    expect(rows['Checkpoint fields']).toBe('epoch = 200; arch = "resnet50"');
    expect(rows.Metadata).toBeUndefined();
  });
  it('detectedText for a supervised head and for an unknown file', () => {
    expect(detectedText({ arch: 'resnet18-w4', depth: 18, width: 4, block: 'basic', classes: 1000, moco: false })).toBe(
      'resnet18-w4 · basic blocks · base width 4 · 1,000 classes',
    );
    expect(detectedText(null)).toBe('Not a torchvision ResNet');
  });
  it('warns when a file does not fit its slot', () => {
    expect(slotWarning('fs', inspection())).toMatch(/MoCo/);
    expect(slotWarning('cl', inspection())).toBeNull();
    const supervised = inspection({
      detected: { arch: 'resnet50', depth: 50, width: 64, block: 'bottleneck', classes: 1000, moco: false },
    });
    expect(slotWarning('cl', supervised)).toMatch(/not a MoCo checkpoint/);
    expect(slotWarning('fs', supervised)).toBeNull();
    expect(slotWarning('fs', inspection({ detected: null }))).toBeNull();
  });
  it('suggests the detected architecture when the target fails and the detected one loads', () => {
    const r = inspection({
      detected: { arch: 'resnet50-w4', depth: 50, width: 4, block: 'bottleneck', classes: null, moco: true },
      imports: [plan({ arch: 'resnet50', ok: false }), plan({ arch: 'resnet50-w4', ok: true })],
    });
    expect(suggestedTarget(r, 'resnet50')).toBe('resnet50-w4');
    expect(suggestedTarget(r, 'resnet50-w4')).toBeNull(); // already there
    expect(suggestedTarget(inspection(), 'resnet18')).toBe('resnet50');
    expect(suggestedTarget(inspection(), 'resnet50')).toBeNull(); // the target loads
    // the detected architecture was not planned (not one the page offers): nothing to suggest
    expect(
      suggestedTarget(
        inspection({ detected: { arch: 'resnet34', depth: 34, width: 64, block: 'basic', classes: 1000, moco: false } }),
        'resnet18',
      ),
    ).toBeNull();
  });
  it('planFor picks the target architecture, or null', () => {
    expect(planFor(inspection(), 'resnet18')?.ok).toBe(false);
    expect(planFor(inspection(), 'resnet50-w16')).toBeNull();
  });
  it('formatShape and targetLabel', () => {
    expect(formatShape([])).toBe('scalar');
    expect(formatShape([2048, 5])).toBe('2048×5');
    expect(targetLabel('resnet50-w16')).toBe('ResNet50, width 16');
    expect(targetLabel('resnet50')).toBe('ResNet50 (standard)');
    expect(targetLabel('vgg')).toBe('vgg');
  });
});
