/**
 * What the Compute views show about the engine, derived by pure functions (no React, no DOM):
 * backend names for people, the ladder table, the preference choices, and the self-test report.
 */
import {
  BACKEND_LADDER,
  computesOnGpu,
  describeWebGpuAdapter,
  SelfTestResult,
  webgpuVerdict,
  type BackendCandidate,
  type BackendName,
  type BackendPreference,
  type EngineStatus,
} from '../../../src-shared/engine';
import type { StatusColor } from '../../shared/status';
import { formatMeasure } from '../../shared/format.viewmodel';

const BACKEND_TITLES: Record<BackendName, string> = {
  'tensorflow-gpu': 'TensorFlow native, CUDA GPU',
  webgpu: 'WebGPU, any recent GPU',
  tensorflow: 'TensorFlow native, CPU',
  wasm: 'WebAssembly',
  cpu: 'Plain JavaScript CPU',
};

/** `WebAssembly (wasm)`: the human name with the identifier FUNDUSLAB_BACKEND takes. */
export function backendTitle(name: BackendName): string {
  return `${BACKEND_TITLES[name]} (${name})`;
}

const CANDIDATE_STATES: Record<BackendCandidate['state'], { label: string; color: StatusColor }> = {
  active: { label: 'Active', color: 'success' },
  available: { label: 'Available', color: 'info' },
  skipped: { label: 'Not tried', color: 'default' },
  unavailable: { label: 'Unavailable', color: 'warning' },
};

export function candidateStateLabel(state: BackendCandidate['state']): string {
  return CANDIDATE_STATES[state].label;
}

export function candidateStateColor(state: BackendCandidate['state']): StatusColor {
  return CANDIDATE_STATES[state].color;
}

export interface CandidateRow {
  backend: BackendName;
  title: string;
  packageName: string;
  stateLabel: string;
  stateColor: StatusColor;
  reason: string;
  active: boolean;
}

/** The ladder in its fixed order (best first), whatever order the status lists it in. */
export function candidateRows(status: EngineStatus): CandidateRow[] {
  const rank = (b: BackendName) => BACKEND_LADDER.indexOf(b);
  return [...status.candidates]
    .sort((a, b) => rank(a.backend) - rank(b.backend))
    .map((c) => ({
      backend: c.backend,
      title: backendTitle(c.backend),
      packageName: c.package,
      stateLabel: candidateStateLabel(c.state),
      stateColor: candidateStateColor(c.state),
      reason: c.reason ?? (c.state === 'active' ? 'In use' : '—'),
      active: c.state === 'active',
    }));
}

export interface WebGpuSection {
  verdict: string;
  adapters: { name: string; detail: string; used: boolean }[];
}

/** The Compute page's WebGPU section: whether it is used (or exactly why not) and every adapter found. */
export function webgpuSection(status: EngineStatus): WebGpuSection {
  return { verdict: webgpuVerdict(status), adapters: status.adapters.map((a) => ({ ...describeWebGpuAdapter(a), used: a.used })) };
}

/** One sentence on how the active backend was chosen. */
export function selectionExplanation(status: Pick<EngineStatus, 'forced' | 'forcedBy'>): string {
  if (status.forced && status.forcedBy === 'env') {
    return `Forced to ${status.forced} by the FUNDUSLAB_BACKEND environment variable.`;
  }
  if (status.forced && status.forcedBy === 'settings') {
    return `Forced to ${status.forced} by the backend preference below.`;
  }
  return 'Chosen automatically: the best backend of the ladder that loads on this machine.';
}

export interface BackendChipModel {
  label: string;
  color: StatusColor;
  /** Accessible name of the chip button: it starts with the visible label (speech users say what they see) and adds the details. */
  ariaLabel: string;
}

export function backendChipModel(status: EngineStatus | null, loading: boolean, error: string | null): BackendChipModel {
  if (status) {
    const forced = status.forced ? ' (forced)' : '';
    // GPU green, native CPU blue, the portable fallbacks neutral: a glance tells how fast this will be.
    const color: StatusColor = computesOnGpu(status) ? 'success' : status.active === 'tensorflow' ? 'primary' : 'default';
    return {
      label: `Backend: ${status.active}${forced}`,
      color,
      ariaLabel: `Backend: ${status.active}${forced}, the active compute backend (${backendTitle(status.active)}). Show details`,
    };
  }
  if (error)
    return {
      label: 'Backend: unknown',
      color: 'error',
      ariaLabel: `Backend: unknown, the compute backend could not be checked: ${error}. Show details`,
    };
  const label = loading ? 'Backend: checking…' : 'Backend: —';
  return { label, color: 'default', ariaLabel: `${label} Show details` };
}

export interface PreferenceOption {
  value: BackendPreference;
  label: string;
}

export const PREFERENCE_OPTIONS: readonly PreferenceOption[] = [
  { value: 'auto', label: 'Automatic (best available)' },
  ...BACKEND_LADDER.map((b) => ({ value: b, label: backendTitle(b) })),
];

export interface SelfTestRow {
  label: string;
  value: string;
}

export interface SelfTestReport {
  passed: boolean;
  verdict: string;
  rows: SelfTestRow[];
  checks: { name: string; passed: boolean; detail: string }[];
}

/** Parses a job's `result` as a self-test result; null when it is not one. */
export function parseSelfTestResult(value: unknown): SelfTestResult | null {
  const parsed = SelfTestResult.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export function selfTestReport(result: SelfTestResult): SelfTestReport {
  const failed = result.checks.filter((c) => !c.passed).length;
  const gradient =
    result.gradientMaxRelDiffVsCpu === null
      ? 'not compared (the active backend is the CPU reference)'
      : `${formatMeasure(result.gradientMaxRelDiffVsCpu)} max. relative difference`;
  return {
    passed: result.passed,
    verdict: result.passed
      ? `Passed on ${result.backend}`
      : `Failed on ${result.backend}: ${failed} of ${result.checks.length} check${result.checks.length === 1 ? '' : 's'} failed`,
    rows: [
      { label: 'Backend', value: backendTitle(result.backend) },
      { label: 'Workload', value: `${result.batch} images of ${result.size}×${result.size}, ${result.steps} training steps` },
      {
        label: 'Forward',
        value: `${formatMeasure(result.forwardImagesPerSecond)} images/s (${formatMeasure(result.forwardMsPerBatch)} ms/batch)`,
      },
      {
        label: 'Training step',
        value: `${formatMeasure(result.trainImagesPerSecond)} images/s (${formatMeasure(result.trainMsPerBatch)} ms/batch)`,
      },
      { label: 'Loss', value: `${formatMeasure(result.lossFirst)} → ${formatMeasure(result.lossLast)}` },
      { label: 'Gradients vs CPU', value: gradient },
    ],
    checks: result.checks.map((c) => ({ ...c })),
  };
}
