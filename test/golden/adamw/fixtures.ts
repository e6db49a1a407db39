/**
 * The optimizer golden fixtures (fixtures.json, make_fixtures.py): their types, the AdamW regimes and
 * the MLP's parameters as variables. Shared by adamw.test.ts, sgd.test.ts and the webgpu parity test.
 */
import tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { excludeOneDimensional } from '../../../src-main/engine/optim/adamw';
import type { ScheduleInput } from '../../../src-main/engine/optim/schedule';

export interface Case {
  names: string[];
  shapes: Record<string, number[]>;
  initial: Record<string, number[]>;
  lrs: number[];
  losses: number[];
  grads: Record<string, number[]>[];
  params: Record<string, Record<string, number[]>>;
  state: Record<string, { step: number; exp_avg: number[]; exp_avg_sq: number[] }>;
}
/** The SGD case (`sgd_cosine`): momentum buffers instead of moments. */
export interface SgdCase extends Omit<Case, 'state'> {
  state: Record<string, { momentum_buffer: number[] }>;
}

export interface Fixtures {
  steps: number;
  weight_decay: number;
  betas: [number, number];
  eps: number;
  x: { shape: [number, number]; values: number[] };
  y: number[];
  cases: Record<'cosine' | 'constant_nobias' | 'warmup_cosine', Case> & { sgd_cosine: SgdCase };
  step_lr: { lr: number; step_size: number; gamma: number; lrs: number[] };
}

export const fx = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures.json'), 'utf8')) as Fixtures;

export const REGIMES = {
  cosine: { base: 1e-2, schedule: { kind: 'cosine', tMax: 20, etaMin: 1e-4 } as ScheduleInput, warmup: undefined, noDecay: undefined },
  constant_nobias: { base: 3e-3, schedule: { kind: 'constant' } as ScheduleInput, warmup: undefined, noDecay: excludeOneDimensional },
  warmup_cosine: { base: 1e-2, schedule: { kind: 'cosine' } as ScheduleInput, warmup: { steps: 5, startFactor: 0.1 }, noDecay: undefined },
} as const;

export function makeParams(c: Pick<Case, 'names' | 'initial' | 'shapes'>): Map<string, tf.Variable> {
  return new Map(
    c.names.map((n) => [
      n,
      tf.variable(tf.tensor(c.initial[n]!, c.shapes[n]!), true, `golden_${n}_${Math.random().toString(36).slice(2)}`),
    ]),
  );
}
