/**
 * The training specification: every setting of one training run (docs/design.md, "Definitions the
 * numbers must follow": Inputs, Training). All defaults are the paper's (Srinivasan et al. 2022)
 * or, for MoCo v2, the official MoCo v2 recipe (Chen et al. 2020, facebookresearch/moco); they are
 * defaults, not constants: the UI exposes them. Every field says what it means in `.describe()`.
 */
import { z } from 'zod';
import { studyRelativePath } from './user-path';

export const TrainingStrategy = z
  .enum(['IWNE-FS', 'IWNE-CL', 'IFI-FS', 'IFI-CL'])
  .describe(
    'Initialisation × training: IWNE = random init ("without ImageNet"), IFI = initialised from ImageNet; ' +
      'FS = fully supervised on the labelled fraction, CL = MoCo v2 contrastive pretraining on the fundus images first, then supervised fine-tuning.',
  );
export type TrainingStrategy = z.infer<typeof TrainingStrategy>;

/** The paper's order of the strategies in every table, figure and list: no external data first, then ImageNet; FS before CL. */
export const STRATEGY_ORDER: readonly TrainingStrategy[] = TrainingStrategy.options;

/** Position of a strategy in STRATEGY_ORDER, for sorting; -1 for a name that is not a strategy. */
export function strategyRank(strategy: string): number {
  return (STRATEGY_ORDER as readonly string[]).indexOf(strategy);
}

/** Learning-rate schedule, evaluated per scheduler step t = 0, 1, … (an epoch unless stated). */
export const LrSchedule = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('constant').describe('lr stays at the base value') }).strict(),
    z
      .object({
        kind: z
          .literal('cosine')
          .describe('torch CosineAnnealingLR: lr_t = etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2 (MoCo v2 uses etaMin 0)'),
        tMax: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Length of the half cosine in scheduler steps; default: the run length (epochs) minus warm-up'),
        etaMin: z.number().nonnegative().default(0).describe('Learning rate at t = tMax'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('step').describe('torch StepLR: lr_t = base · gamma^⌊t/stepSize⌋'),
        stepSize: z.number().int().positive().describe('Scheduler steps between decays'),
        gamma: z.number().positive().max(1).default(0.1).describe('Multiplicative decay factor'),
      })
      .strict(),
  ])
  .describe('Learning-rate schedule');
export type LrSchedule = z.infer<typeof LrSchedule>;

export const LrWarmup = z
  .object({
    steps: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Linear warm-up length in scheduler steps (0 = none); the schedule starts after it (torch SequentialLR of LinearLR then the schedule)',
      ),
    startFactor: z
      .number()
      .positive()
      .max(1)
      .default(0.1)
      .describe('Warm-up starts at base·startFactor and rises linearly to base at `steps` (torch LinearLR start_factor)'),
  })
  .strict()
  .describe('Optional linear learning-rate warm-up');
export type LrWarmup = z.infer<typeof LrWarmup>;

export const AdamWSettings = z
  .object({
    betas: z
      .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
      .default([0.9, 0.999])
      .describe('AdamW (β1, β2), torch default'),
    eps: z.number().positive().default(1e-8).describe('AdamW eps added to √v̂, torch default'),
    weightDecay: z
      .number()
      .nonnegative()
      .default(0.01)
      .describe('Decoupled weight decay (p ← p − lr·wd·p), torch AdamW default 0.01; the paper does not state its value'),
    noDecayForNormAndBias: z
      .boolean()
      .default(false)
      .describe('Switch weight decay off for BatchNorm γ/β and biases (all rank-1 parameters); default off: torch decays every parameter'),
  })
  .strict()
  .describe('AdamW optimizer (decoupled weight decay, Loshchilov & Hutter)');
export type AdamWSettings = z.infer<typeof AdamWSettings>;

const unit = z.number().min(0).max(1);

/** Augmentation settings; a field that is absent or 0 / null switches that operation off. */
export const AugmentSettings = z
  .object({
    randomResizedCrop: z
      .object({
        scale: z.tuple([unit, unit]).describe('Area fraction range of the crop (torchvision RandomResizedCrop scale)'),
        ratio: z
          .tuple([z.number().positive(), z.number().positive()])
          .default([3 / 4, 4 / 3])
          .describe('Aspect-ratio range (log-uniform), torchvision default (3/4, 4/3)'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Random resized crop to the input size (10 attempts, then a centre crop, as torchvision); null = resize only'),
    horizontalFlip: unit.default(0).describe('Probability of a horizontal flip'),
    verticalFlip: unit.default(0).describe('Probability of a vertical flip'),
    rotationDegrees: z
      .number()
      .min(0)
      .max(180)
      .default(0)
      .describe('Rotation by a uniform angle in [−d, d] degrees (bilinear, zero fill); 0 = none'),
    colorJitter: z
      .object({
        brightness: z.number().nonnegative().default(0).describe('Brightness factor drawn from [max(0, 1−b), 1+b]'),
        contrast: z.number().nonnegative().default(0).describe('Contrast factor drawn from [max(0, 1−c), 1+c]'),
        saturation: z.number().nonnegative().default(0).describe('Saturation factor drawn from [max(0, 1−s), 1+s]'),
        hue: z.number().min(0).max(0.5).default(0).describe('Hue shift drawn from [−h, h] (fraction of the colour circle)'),
        p: unit.default(1).describe('Probability of applying the jitter (torchvision RandomApply)'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('torchvision ColorJitter (the four adjustments in a random order per image); null = none'),
    grayscale: unit.default(0).describe('Probability of RandomGrayscale (0.299R + 0.587G + 0.114B in all three channels)'),
    gaussianBlur: z
      .object({
        sigma: z
          .tuple([z.number().positive(), z.number().positive()])
          .describe('Blur sigma range in pixels at 224 px (scaled with the input size)'),
        p: unit.describe('Probability of blurring'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Gaussian blur as in MoCo v2 (kernel ≈ 10% of the image side, 23 px at 224); null = none'),
  })
  .strict()
  .describe('Training-time augmentation (applied on batches before normalisation, seeded per (seed, epoch, index))');
export type AugmentSettings = z.infer<typeof AugmentSettings>;

/** `fsTrain` preset: supervised fine-tuning (crop scale 0.8–1, flips, ±15°, light colour jitter). */
export const FS_TRAIN_AUGMENT: AugmentSettings = AugmentSettings.parse({
  randomResizedCrop: { scale: [0.8, 1] },
  horizontalFlip: 0.5,
  verticalFlip: 0.5,
  rotationDegrees: 15,
  colorJitter: { brightness: 0.1, contrast: 0.1, saturation: 0.1, hue: 0, p: 1 },
});
/** `mocoAugPlus` preset: MoCo v2 aug+ (Chen et al. 2020). */
export const MOCO_AUG_PLUS: AugmentSettings = AugmentSettings.parse({
  randomResizedCrop: { scale: [0.2, 1] },
  colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
  grayscale: 0.2,
  gaussianBlur: { sigma: [0.1, 2], p: 0.5 },
  horizontalFlip: 0.5,
});
/** `validation` preset: no augmentation (resize only). */
export const VALIDATION_AUGMENT: AugmentSettings = AugmentSettings.parse({});

export const Normalisation = z
  .discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('imagenet').describe('ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225): IFI models') })
      .strict(),
    z
      .object({
        kind: z
          .literal('dataset')
          .describe(
            "The training set's own per-channel mean/std, computed before training: IWNE models (paper's EyePACS: mean 0.3203, 0.2244, 0.1609; std 0.2622, 0.1833, 0.1318)",
          ),
      })
      .strict(),
    z
      .object({
        kind: z.literal('custom').describe('Given values'),
        mean: z.tuple([z.number(), z.number(), z.number()]).describe('Per-channel (R, G, B) mean of [0, 1] pixels'),
        std: z
          .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
          .describe('Per-channel (R, G, B) standard deviation'),
      })
      .strict(),
  ])
  .describe('Input normalisation (x − mean) / std after augmentation');
export type Normalisation = z.infer<typeof Normalisation>;

export const MocoSettings = z
  .object({
    epochs: z.number().int().positive().default(200).describe('Contrastive pretraining epochs (official MoCo v2: 200)'),
    batchSize: z
      .number()
      .int()
      .positive()
      .default(256)
      .describe('Images per step (official: 256); the queue size must be a multiple of it'),
    lr: z.number().positive().default(0.03).describe('Base learning rate (MoCo v2: 0.03)'),
    schedule: LrSchedule.default({ kind: 'cosine', etaMin: 0 }).describe(
      'Learning-rate schedule per epoch (MoCo v2: cosine to 0 over the epochs)',
    ),
    optimizer: z
      .enum(['sgd', 'adamw'])
      .default('sgd')
      .describe(
        'Pretraining optimizer. Default SGD (momentum 0.9, weight decay 1e-4): the official MoCo v2 recipe, whose lr 0.03 is an SGD learning rate (far too large for AdamW). The paper fine-tunes with AdamW; choose adamw here with a lower lr (e.g. 1e-3) to use it for pretraining too',
      ),
    sgdMomentum: z.number().min(0).lt(1).default(0.9).describe('SGD momentum (when optimizer = sgd)'),
    weightDecay: z
      .number()
      .nonnegative()
      .default(1e-4)
      .describe(
        'Weight decay of the pretraining optimizer (official MoCo v2 with SGD: 1e-4, coupled as torch SGD; with AdamW it is decoupled)',
      ),
    queueSize: z
      .number()
      .int()
      .positive()
      .default(65536)
      .describe(
        'K, negatives in the queue (MoCo v2: 65536); reduced automatically to the largest multiple of the batch size ≤ the dataset size when the dataset is smaller',
      ),
    momentum: z.number().min(0).max(1).default(0.999).describe('Key-encoder momentum m in θk ← m·θk + (1−m)·θq (MoCo v2: 0.999)'),
    temperature: z.number().positive().default(0.2).describe('Softmax temperature T of InfoNCE (MoCo v2: 0.2)'),
    dim: z.number().int().positive().default(128).describe('Output (embedding) dimension of the projection head (MoCo v2: 128)'),
    mlpHidden: z
      .union([z.literal('auto'), z.number().int().positive()])
      .default('auto')
      .describe(
        'Hidden width of the 2-layer MLP head; auto = the backbone feature size (2048 for ResNet50, scaled with model width), as MoCo v2',
      ),
    augmentation: AugmentSettings.default(MOCO_AUG_PLUS).describe('Augmentation producing the two views (MoCo v2 aug+)'),
  })
  .strict()
  .describe('MoCo v2 contrastive pretraining (CL strategies only)');
export type MocoSettings = z.infer<typeof MocoSettings>;

export const ARCH_REGEX = /^resnet(18|34|50|101|152)(?:-w(\d+))?$/;

/**
 * One extension of a run's length (`funduslab runs extend`): the run had finished `from` epochs of a planned
 * `previousEpochs` and continues to `to`. The learning rate of epochs after `from` follows the schedule for the
 * new total `to` (docs/design.md "Steering a run"); `equivalent` says whether the run then trains exactly as an
 * uninterrupted run of `to` epochs would (same learning rate in every epoch, early stopping not triggered).
 */
export const RunExtension = z
  .object({
    from: z.number().int().nonnegative().describe('Epochs finished when the run was extended'),
    previousEpochs: z.number().int().positive().describe('The planned number of epochs before the extension'),
    to: z.number().int().positive().describe('The number of epochs after the extension'),
    at: z.string().describe('ISO time of the extension'),
    equivalent: z
      .boolean()
      .describe('The extended run trains exactly as an uninterrupted run of `to` epochs (every epoch at the same learning rate)'),
  })
  .strict();
export type RunExtension = z.infer<typeof RunExtension>;

const TrainingSpecBase = z
  .object({
    strategy: TrainingStrategy,
    fraction: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe('Label fraction of the training set used (0.1 … 1.0; stratified, patient-grouped, nested)'),
    seed: z.number().int().nonnegative().default(0).describe('Seed of initialisation, subset selection, shuffling and augmentation'),
    arch: z
      .string()
      .regex(ARCH_REGEX)
      .default('resnet50')
      .describe('Backbone: resnet18/34/50/101/152, optionally with a reduced base width "-wN" (paper: resnet50)'),
    inputSize: z.number().int().min(32).max(1024).default(224).describe('Square input side in pixels after preprocessing (paper: 224)'),
    epochs: z.number().int().positive().optional().describe('Supervised epochs; default by initialisation: IWNE 500, IFI 50 (paper)'),
    lr: z.number().positive().optional().describe('Base learning rate; default by initialisation: IWNE 1e-4, IFI 1e-3 (paper)'),
    batchSize: z.number().int().positive().default(32).describe('Images per optimizer step (the paper does not state it)'),
    optimizer: AdamWSettings.default(AdamWSettings.parse({})).describe(
      'AdamW optimizer settings (decoupled weight decay, as in the paper)',
    ),
    schedule: LrSchedule.default({ kind: 'constant' }).describe('Learning-rate schedule per epoch (paper: constant)'),
    warmup: LrWarmup.default(LrWarmup.parse({})).describe('Optional linear learning-rate warm-up before the schedule (default none)'),
    augmentation: AugmentSettings.default(FS_TRAIN_AUGMENT).describe(
      'Supervised training augmentation (default preset fsTrain); validation/test use none',
    ),
    normalisation: Normalisation.optional().describe('Default by initialisation: IFI → ImageNet, IWNE → the training set (paper)'),
    classWeights: z.boolean().default(false).describe('Weight the cross-entropy by inverse class frequency of the training subset'),
    earlyStoppingPatience: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe(
        'Stop after this many epochs without a better validation AUC; null = run all epochs (paper: all epochs, best-AUC model kept)',
      ),
    moco: MocoSettings.default(MocoSettings.parse({})).describe(
      'MoCo v2 contrastive pretraining settings (used by the CL strategies only)',
    ),
    datasetId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .optional()
      .describe('Dataset of the study to train on (folder name under datasets/); its graded train-split images are used. Required to run'),
    referable: z
      .array(z.number().int().min(0).max(4))
      .min(1)
      .max(4)
      .default([3, 4])
      .describe('Grades counted as referable DR for P(referable) and the validation AUC (paper: {3, 4}; clinical: {2, 3, 4})'),
    validationFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.15)
      .describe('Share of the training patients held out for validation (patient-level, stratified by grade; paper ≈ 15%)'),
    validationSeed: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Seed of the validation split; default 0 for every run, so all strategies, fractions and seeds are selected on the same fixed validation patients (docs/design.md "Fractions")',
      ),
    extensions: z
      .array(RunExtension)
      .min(1)
      .optional()
      .describe(
        "Written by `funduslab runs extend`, never by hand: the history of the run's extensions (epochs is then the extended total; the original is the first entry's previousEpochs)",
      ),
    pretrainedWeights: studyRelativePath('the weights file')
      .optional()
      .describe(
        'Weights file the IFI strategies start from (torchvision .pth / .safetensors / FundusLab tfjs model.json; relative paths are resolved against the study folder); the 5-class head is re-initialised. Required for IFI-FS',
      ),
  })
  .strict();

/** A training run's settings with the strategy-dependent defaults filled in. */
export const TrainingSpec = TrainingSpecBase.superRefine((s, ctx) => {
  // Each MoCo step enqueues a whole batch of keys: a queue shorter than the batch cannot hold one.
  if (s.strategy === 'IWNE-CL' && s.moco.queueSize < s.moco.batchSize) {
    ctx.addIssue({
      code: 'custom',
      path: ['moco', 'queueSize'],
      message: `The MoCo queue (K = ${s.moco.queueSize}) must hold at least one batch (moco.batchSize = ${s.moco.batchSize}); official MoCo v2: K = 65,536, batch 256`,
    });
  }
})
  .transform((s) => {
    const ifi = s.strategy.startsWith('IFI');
    return {
      ...s,
      epochs: s.epochs ?? (ifi ? 50 : 500),
      lr: s.lr ?? (ifi ? 1e-3 : 1e-4),
      normalisation: s.normalisation ?? (ifi ? { kind: 'imagenet' as const } : { kind: 'dataset' as const }),
    };
  })
  .describe('One training run (docs/design.md "Training")');
export type TrainingSpecInput = z.input<typeof TrainingSpec>;
export type TrainingSpec = z.output<typeof TrainingSpec>;

/** Why the best model is the one it is. */
export const BestModelSelection = z
  .enum(['val-auc', 'last-epoch'])
  .describe(
    'val-auc: the epoch with the highest validation AUC (first such epoch on ties); last-epoch: no epoch had a validation AUC (one class only), so the last model is kept',
  );

/** One line of runs/<run-id>/log.ndjson: one finished epoch. */
export const TrainingEpochLog = z
  .object({
    epoch: z.number().int().positive().describe('1-based epoch number'),
    trainLoss: z.number().describe('Mean training cross-entropy over the epoch (class-weighted when classWeights is on)'),
    valLoss: z.number().describe('Mean unweighted cross-entropy on the validation split (eval mode)'),
    valAuc: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('ROC AUC of P(referable) on the validation split; null when it holds one class only'),
    valAucNote: z.string().optional().describe('Why valAuc is null'),
    lr: z.number().describe('Learning rate used during the epoch (schedule evaluated per epoch)'),
    seconds: z.number().describe('Wall time of the epoch (training + validation)'),
    imagesPerSecond: z.number().describe('Training images per second (augmentation, forward, backward, update)'),
    stallMs: z.number().describe('Time the training loop waited for the next batch to be decoded'),
    best: z.boolean().describe('This epoch became the best model'),
    at: z.string().describe('ISO time the epoch ended'),
  })
  .strict();
export type TrainingEpochLog = z.infer<typeof TrainingEpochLog>;

/** One line of pretrain/<id>/log.ndjson: one finished MoCo v2 pretraining epoch. */
export const PretrainEpochLog = z
  .object({
    epoch: z.number().int().positive().describe('1-based pretraining epoch'),
    loss: z.number().describe('Mean InfoNCE loss over the epoch'),
    accuracy: z
      .number()
      .min(0)
      .max(1)
      .describe(
        'Share of queries whose positive key scored strictly above every negative in the queue (the official MoCo "Acc@1"; ties count as misses)',
      ),
    lr: z.number().describe('Learning rate used during the epoch'),
    seconds: z.number().describe('Wall time of the epoch'),
    imagesPerSecond: z.number().describe('Images (pairs of views) per second'),
    stallMs: z.number().describe('Time the loop waited for decoded images'),
    at: z.string().describe('ISO time the epoch ended'),
  })
  .strict();
export type PretrainEpochLog = z.infer<typeof PretrainEpochLog>;

/** How well a k-NN classifier on an encoder's features does (leave-one-patient-out). */
export const KnnScore = z
  .object({
    auc: z.number().nullable().describe('ROC AUC of the share of referable neighbours (two classes; null when only one class is present)'),
    balancedAccuracy: z.number().describe('Mean of the per-class recalls of the majority vote'),
    accuracy: z.number().describe('Share of images whose majority vote is their own class'),
  })
  .strict();
export type KnnScore = z.infer<typeof KnnScore>;

/**
 * Did the pretraining learn? Its final loss against chance, and a k-NN classifier (cosine distance)
 * on the frozen encoder's pooled features against the same classifier on the encoder it started
 * from (random initialisation), leave-one-patient-out over the labelled pretraining images.
 */
export const PretrainLearningCheck = z
  .object({
    k: z.number().int().positive().describe('Neighbours per image'),
    labels: z
      .enum(['referable', 'classes'])
      .describe(
        "What the k-NN predicts: referable DR (the spec's referable grades) or the images' own class labels (the demo's texture set)",
      ),
    referable: z.array(z.number().int().min(0).max(4)).nullable().describe('The referable grades, when labels = referable'),
    images: z.number().int().describe('Labelled images the check used'),
    sampled: z.boolean().describe('The labelled images were more than the cap, so a seeded sample was used'),
    metric: z
      .enum(['auc', 'balanced-accuracy'])
      .describe('The score the gain is measured in: AUC for referable DR, balanced accuracy for class labels'),
    pretrained: KnnScore.nullable().describe('k-NN on the pretrained encoder (null when the check could not run)'),
    random: KnnScore.nullable().describe('k-NN on the randomly initialised encoder the pretraining started from'),
    gain: z.number().nullable().describe('metric(pretrained) − metric(random); null when undefined'),
    chanceLoss: z.number().describe('ln(1 + K): the InfoNCE loss of an encoder that cannot tell the positive key from the K queued ones'),
    finalLoss: z.number().nullable().describe('Mean InfoNCE loss of the last epoch'),
    lossVsChance: z.number().nullable().describe('finalLoss / chanceLoss (1 = chance)'),
    warnings: z.array(z.string()).describe('Why the pretraining may not have learned (empty when it passed)'),
    seconds: z.number().describe('Time the check took'),
  })
  .strict();
export type PretrainLearningCheck = z.infer<typeof PretrainLearningCheck>;

/** The MoCo v2 pretraining a CL run fine-tuned from (shared by every run with the same pretraining settings). */
export const PretrainSummary = z
  .object({
    id: z.string().describe('Folder name under pretrain/'),
    dir: z.string().describe('Absolute path of the pretraining folder'),
    encoderPath: z
      .string()
      .describe(
        'The pretrained encoder as a MoCo-format .safetensors (module.encoder_q.*, module.encoder_k.*, module.queue), loadable by the MoCo code',
      ),
    images: z.number().int().describe('Unlabelled images pretrained on (the training patients; validation and test images excluded)'),
    epochs: z.number().int().describe('Pretraining epochs finished'),
    finalLoss: z.number().nullable().describe('InfoNCE loss of the last epoch'),
    queueSize: z.number().int().describe('Queue size K actually used'),
    queueNote: z.string().nullable().describe('Why K differs from the requested size, if it does'),
    seconds: z.number().describe('Wall time of the pretraining over all resumptions'),
    imagesPerSecond: z.number().describe('Pretraining images per second'),
    stallFraction: z.number().min(0).max(1).describe('Share of pretraining time spent waiting for data'),
    reused: z.boolean().describe('The pretraining had already finished (another run with the same settings did it)'),
    learningCheck: PretrainLearningCheck.nullable()
      .default(null)
      .describe(
        'Whether the pretraining learned: loss against chance and the k-NN gain over a random encoder (null for pretrainings made before the check existed)',
      ),
  })
  .strict();
export type PretrainSummary = z.infer<typeof PretrainSummary>;

/**
 * The per-channel (R, G, B) mean/std a run's inputs were normalised with, resolved from the spec's
 * `normalisation` choice, and where they came from (`imagenet`, `custom`, or the images they were
 * computed on). Recorded by training and copied into every result computed with the run's model.
 * Unknown keys are stripped; result files that hold exactly these keys use `.strict()`.
 * src-shared/run-identity.ts re-exports it beside the other fields that say which run a result
 * belongs to.
 */
export const ResolvedNormalisation = z.object({
  mean: z.array(z.number()).length(3),
  std: z.array(z.number()).length(3),
  source: z.string(),
});
export type ResolvedNormalisation = z.infer<typeof ResolvedNormalisation>;

/** What a finished training run returns (and writes to runs/<run-id>/metrics.json). */
export const TrainingResult = z
  .object({
    runId: z.string().describe('Folder name under runs/'),
    runDir: z.string().describe('Absolute path of the run folder'),
    bestEpoch: z.number().int().positive().nullable().describe('Epoch of the best model (null if no epoch ran)'),
    bestValAuc: z.number().nullable().describe('Validation AUC of the best model (null when the validation split has one class)'),
    selection: BestModelSelection,
    finalEpoch: z.number().int().nonnegative().describe('Last finished epoch'),
    epochsRun: z.number().int().nonnegative().describe('Epochs finished by this call (the rest came from a checkpoint)'),
    resumedFromEpoch: z
      .number()
      .int()
      .nonnegative()
      .describe('Epochs already done in the checkpoint this call resumed from (0 = fresh start)'),
    stoppedEarly: z.boolean().describe('Early stopping ended the run before spec.epochs'),
    stoppedByRequest: z
      .object({
        afterEpoch: z.number().int().nonnegative().describe('The last epoch trained'),
        of: z.number().int().positive().describe('The epochs the spec planned'),
        requestedAt: z.string().describe('ISO time of the request'),
        requestedBy: z.string().describe('Who asked, e.g. "funduslab runs stop (pid 4711 on host n1)"'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        'The user asked the run to finish after its current epoch (`funduslab runs stop --after-epoch`, the app\'s "Finish after this epoch"); null otherwise',
      ),
    seconds: z.number().describe('Wall time of all epochs, over all resumptions'),
    imagesPerSecond: z.number().describe('Training images per second over all epochs'),
    stallFraction: z.number().min(0).max(1).describe('Share of training time spent waiting for data'),
    trainImages: z.number().int().describe('Images in the label-fraction training subset'),
    validationImages: z.number().int().describe('Images in the validation split'),
    normalisation: ResolvedNormalisation.describe('Mean/std used on the inputs and where they came from'),
    bestModelPath: z.string().nullable().describe('Best model as .safetensors with torchvision names (torch layout)'),
    bestMetricsPath: z.string().nullable().describe("JSON with the best model's epoch and metrics"),
    logPath: z.string().describe('runs/<run-id>/log.ndjson'),
    backend: z.string().describe('TensorFlow.js backend that ran the training'),
    pretraining: PretrainSummary.nullable()
      .default(null)
      .describe('IWNE-CL: the MoCo v2 pretraining on the study images the fine-tuning started from; null otherwise'),
    initialisedFrom: z
      .string()
      .nullable()
      .default(null)
      .describe(
        'Weights file the fine-tuning started from (IFI: the imported file; IWNE-CL: the pretrained encoder); null = random initialisation',
      ),
  })
  .strict()
  .describe('Result of one training run (job kind train.run)');
export type TrainingResult = z.infer<typeof TrainingResult>;

/**
 * The settings that determine a MoCo pretraining: everything else of the spec (fraction, fine-tuning lr …) does not, so runs that differ
 * only there share one.
 */
export function pretrainSettings(spec: TrainingSpec) {
  return {
    datasetId: spec.datasetId ?? null,
    validationFraction: spec.validationFraction,
    validationSeed: spec.validationSeed,
    arch: spec.arch,
    inputSize: spec.inputSize,
    seed: spec.seed,
    normalisation: spec.normalisation,
    moco: spec.moco,
  };
}

/** JSON with object keys sorted at every level, so equal settings give equal text whatever their key order. */
export function canonicalJson(v: unknown): string {
  const canon = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(canon)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, canon((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(canon(v));
}

/** The epochs a run was planned with before any extension. */
export function originalEpochs(spec: Pick<TrainingSpec, 'epochs' | 'extensions'>): number {
  return spec.extensions?.[0]?.previousEpochs ?? spec.epochs;
}

/**
 * The run length the learning-rate schedule of `epoch` (1-based) is evaluated for: the planned total
 * of the segment the epoch belongs to. Without extensions, spec.epochs; after an extension from E
 * to N, epochs after E use N (docs/design.md "Steering a run").
 */
export function scheduleTotalAt(spec: Pick<TrainingSpec, 'epochs' | 'extensions'>, epoch: number): number {
  let total = originalEpochs(spec);
  for (const e of spec.extensions ?? []) if (epoch > e.from) total = e.to;
  return total;
}

/** "extended from 2 to 4 epochs (equivalent to an uninterrupted 4-epoch run)", one phrase per extension; empty without. */
export function extensionPhrases(spec: Pick<TrainingSpec, 'extensions'>): string[] {
  return (spec.extensions ?? []).map(
    (e) =>
      `extended from ${e.from} to ${e.to} epochs (${e.equivalent ? `equivalent to an uninterrupted ${e.to}-epoch run` : `not equivalent to an uninterrupted ${e.to}-epoch run: its learning rates differ`})`,
  );
}

/**
 * How a finished run ended, in words: "stopped after epoch 3 of 10 at the user's request", "stopped early after epoch 7 of 10",
 * "finished 10 of 10 epochs".
 */
export function runOutcomeText(result: Pick<TrainingResult, 'finalEpoch' | 'stoppedEarly' | 'stoppedByRequest'>, epochs: number): string {
  if (result.stoppedByRequest)
    return `stopped after epoch ${result.stoppedByRequest.afterEpoch} of ${result.stoppedByRequest.of} at the user's request`;
  if (result.stoppedEarly) return `stopped early after epoch ${result.finalEpoch} of ${epochs}`;
  return `finished ${result.finalEpoch} of ${epochs} epochs`;
}
