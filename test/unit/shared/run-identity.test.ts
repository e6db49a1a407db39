/**
 * The fields that say which run a result belongs to are declared once (src-shared/run-identity.ts).
 * Every schema built from them must keep accepting the objects written today, unchanged and in the
 * same key order, and must refuse one without an identity field; each keeps its own rule for runId
 * and strategy where its files always had one.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { BestModelInfo } from '../../../src-main/services/runs/run-info';
import { CheckpointState } from '../../../src-main/services/training/checkpoint';
import { RunSummary } from '../../../src-shared/contract';
import { EvaluatedRun, ResultsRow } from '../../../src-shared/evaluation';
import { ExplanationResult } from '../../../src-shared/explanations';
import { GridCell } from '../../../src-shared/grid';
import { RobustnessModel } from '../../../src-shared/robustness';
import { ResolvedNormalisation, RunIdentity, RunModelIdentity } from '../../../src-shared/run-identity';
import { SpectraResult } from '../../../src-shared/spectra';
import { TrainingResult } from '../../../src-shared/training';

const identity = { runId: 'ifi-cl-resnet50-demo-f0.5-s1', strategy: 'IFI-CL', fraction: 0.5, seed: 1 } as const;
const model = { ...identity, arch: 'resnet50', inputSize: 224 } as const;
const normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], source: 'imagenet' };

type ObjectSchema = z.ZodObject;

/** [name, schema, an object as written today, its identity fields] */
const CASES: [string, ObjectSchema, Record<string, unknown>, string[]][] = [
  [
    'EvaluatedRun',
    EvaluatedRun,
    { ...model, trainingDatasetId: 'demo', bestEpoch: 4, bestValAuc: 0.83, selection: 'val-auc', normalisation },
    ['runId', 'strategy', 'fraction', 'seed', 'arch', 'inputSize', 'normalisation'],
  ],
  [
    'ResultsRow',
    ResultsRow,
    {
      evaluation: 'ifi-cl-resnet50-demo-f0.5-s1__ext__test',
      datasetId: 'ext',
      split: 'test',
      referable: [3, 4],
      runId: identity.runId,
      strategy: identity.strategy,
      fraction: identity.fraction,
      seed: identity.seed,
      arch: 'resnet50',
      n: 120,
      positives: 30,
      auc: 0.81,
      delong: { lower: 0.74, upper: 0.88 },
      bootstrap: { lower: 0.73, upper: 0.87, samples: 2000 },
      operatingPoint: { threshold: 0.21, sensitivity: 0.9, specificity: 0.55, targetSensitivity: 0.9 },
      overlapsTraining: false,
      createdAt: '2024-05-01T10:00:00.000Z',
    },
    ['runId', 'strategy', 'fraction', 'seed', 'arch'],
  ],
  [
    'ExplanationResult.run',
    ExplanationResult.shape.run,
    { runId: identity.runId, strategy: identity.strategy, arch: 'resnet50', inputSize: 224, normalisation, referable: [3, 4] },
    ['runId', 'strategy', 'arch', 'inputSize', 'normalisation'],
  ],
  [
    'RobustnessModel',
    RobustnessModel,
    {
      ...model,
      referable: [3, 4],
      cells: [
        { corruption: 'clean', severity: 0, meanTrueClassProbability: 0.71, auc: 0.8 },
        { corruption: 'fog', severity: 3, meanTrueClassProbability: 0.64, auc: null },
      ],
    },
    ['runId', 'strategy', 'fraction', 'seed', 'arch', 'inputSize'],
  ],
  [
    'SpectraResult.run',
    SpectraResult.shape.run,
    { ...identity, arch: 'resnet50', normalisation },
    ['runId', 'strategy', 'fraction', 'seed', 'arch', 'normalisation'],
  ],
  [
    'RunSummary',
    RunSummary,
    { ...model, datasetId: 'demo', finished: true, hasModel: true, bestValAuc: 0.83 },
    ['runId', 'strategy', 'fraction', 'seed', 'arch', 'inputSize'],
  ],
  [
    'GridCell',
    GridCell,
    {
      ...identity,
      status: 'partial',
      reason: null,
      spec: { strategy: identity.strategy, fraction: identity.fraction, seed: identity.seed },
      epochsDone: 2,
      epochs: 10,
      bestValAuc: 0.7,
    },
    ['runId', 'strategy', 'fraction', 'seed'],
  ],
];

/** The fields whose rule differs from the shared one, and why (the files they read always had it). */
const NARROWED: Record<string, true> = {
  // Evaluations and spectra check the run id against RUN_ID_PATTERN.
  'EvaluatedRun.runId': true,
  'SpectraResult.run.runId': true,
  // Explanation results store the strategy as a plain string and a positive input size.
  'ExplanationResult.run.strategy': true,
  'ExplanationResult.run.inputSize': true,
};

describe('schemas built from the run identity', () => {
  for (const [name, schema, today, fields] of CASES) {
    it(`${name} accepts today's object unchanged, in the same key order`, () => {
      const parsed = schema.parse(today) as Record<string, unknown>;
      expect(parsed).toEqual(today);
      expect(Object.keys(parsed)).toEqual(Object.keys(today));
    });

    for (const field of fields) {
      it(`${name} refuses an object without ${field}`, () => {
        const { [field]: _, ...without } = today;
        const result = schema.safeParse(without);
        expect(result.success).toBe(false);
        expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(field);
      });
    }

    it(`${name} takes its identity fields from the shared declaration`, () => {
      const own = new Map<string, z.ZodType>(Object.entries(schema.shape));
      for (const field of fields.filter((f) => f !== 'normalisation')) {
        const shared = (RunModelIdentity.shape as Record<string, z.ZodType>)[field]!;
        if (NARROWED[`${name}.${field}`]) expect(own.get(field), `${name}.${field}`).not.toBe(shared);
        else expect(own.get(field), `${name}.${field}`).toBe(shared);
      }
    });
  }
});

describe('each schema keeps its own rules', () => {
  it('a run id outside RUN_ID_PATTERN: refused by evaluations and spectra, kept by the others', () => {
    const odd = 'Run With Spaces';
    expect(EvaluatedRun.safeParse({ ...CASES[0]![2], runId: odd }).success).toBe(false);
    expect(SpectraResult.shape.run.safeParse({ ...CASES[4]![2], runId: odd }).success).toBe(false);
    for (const i of [1, 2, 3, 5, 6]) expect(CASES[i]![1].safeParse({ ...CASES[i]![2], runId: odd }).success, CASES[i]![0]).toBe(true);
  });

  it('a strategy that is not one of the four: kept by explanation results only', () => {
    for (const [name, schema, today] of CASES)
      expect(schema.safeParse({ ...today, strategy: 'other' }).success, name).toBe(name === 'ExplanationResult.run');
  });

  it('explanation results refuse input size 0; the others accept it', () => {
    expect(ExplanationResult.shape.run.safeParse({ ...CASES[2]![2], inputSize: 0 }).success).toBe(false);
    for (const i of [0, 3, 5]) expect(CASES[i]![1].safeParse({ ...CASES[i]![2], inputSize: 0 }).success, CASES[i]![0]).toBe(true);
  });

  it('RunIdentity is the first four fields of RunModelIdentity', () => {
    expect(Object.keys(RunIdentity.shape)).toEqual(['runId', 'strategy', 'fraction', 'seed']);
    expect(Object.keys(RunModelIdentity.shape)).toEqual(['runId', 'strategy', 'fraction', 'seed', 'arch', 'inputSize']);
  });
});

describe('the resolved normalisation', () => {
  const extra = { ...normalisation, note: 'x' };
  it('result files refuse an unknown key (evaluations, explanations, spectra)', () => {
    expect(EvaluatedRun.shape.normalisation.safeParse(extra).success).toBe(false);
    expect(ExplanationResult.shape.run.shape.normalisation.safeParse(extra).success).toBe(false);
    expect(SpectraResult.shape.run.shape.normalisation.safeParse(extra).success).toBe(false);
  });

  it('training files strip an unknown key (metrics.json, best/metrics.json, the checkpoint state)', () => {
    for (const schema of [TrainingResult.shape.normalisation, BestModelInfo.shape.normalisation, CheckpointState.shape.normalisation])
      expect(schema.parse(extra)).toEqual(normalisation);
    expect(ResolvedNormalisation.parse(extra)).toEqual(normalisation);
  });

  it('every declaration refuses a mean or std without three values, or a missing source', () => {
    for (const schema of [
      ResolvedNormalisation,
      EvaluatedRun.shape.normalisation,
      ExplanationResult.shape.run.shape.normalisation,
      SpectraResult.shape.run.shape.normalisation,
      TrainingResult.shape.normalisation,
      BestModelInfo.shape.normalisation,
      CheckpointState.shape.normalisation,
    ]) {
      expect(schema.safeParse({ ...normalisation, mean: [0.5, 0.5] }).success).toBe(false);
      expect(schema.safeParse({ ...normalisation, std: [0.2, 0.2, 0.2, 0.2] }).success).toBe(false);
      const { source: _, ...noSource } = normalisation;
      expect(schema.safeParse(noSource).success).toBe(false);
    }
  });
});
