/**
 * The training grid's form in the study wizard (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): the strategies as initialisation × method, the
 * settings kept as typed text until they are checked, the paper's defaults, each field's label and
 * one-line explanation, and the hyperparameters that matter for the chosen strategies.
 *
 * The paper's defaults are not repeated here: they are read from the schemas (TrainingSpec fills the
 * per-initialisation epochs and learning rate, MocoSettings the MoCo v2 recipe), and every field's
 * one-line explanation is its `.describe()` text.
 */
import { GridSpec } from '../../../../src-shared/grid';
import { MocoSettings, TrainingSpec, type TrainingStrategy } from '../../../../src-shared/training';

export type Initialisation = 'IWNE' | 'IFI';
export type Method = 'FS' | 'CL';

export const INITIALISATIONS: readonly { id: Initialisation; label: string; text: string }[] = [
  { id: 'IWNE', label: 'IWNE', text: 'Random initialisation: no external data ("initialised without ImageNet").' },
  { id: 'IFI', label: 'IFI', text: 'Initialised from ImageNet weights you bring (supervised for FS, MoCo v2 for CL).' },
];
export const METHODS: readonly { id: Method; label: string; text: string }[] = [
  { id: 'FS', label: 'FS', text: 'Fully supervised fine-tuning on the labelled fraction.' },
  {
    id: 'CL',
    label: 'CL',
    text: 'MoCo v2 contrastive pretraining first (IWNE-CL: on the study’s own images; IFI-CL: the ImageNet MoCo checkpoint), then fine-tuning.',
  },
];

export function strategyOf(init: Initialisation, method: Method): TrainingStrategy {
  return `${init}-${method}`;
}

/** The numeric and text settings the wizard edits, kept as typed text until they are checked. */
export interface HyperForm {
  arch: string;
  inputSize: string;
  batchSize: string;
  iwneEpochs: string;
  iwneLr: string;
  ifiEpochs: string;
  ifiLr: string;
  mocoEpochs: string;
  mocoLr: string;
  mocoQueue: string;
}
export type HyperField = keyof HyperForm;

export interface GridForm extends HyperForm {
  datasetId: string;
  strategies: TrainingStrategy[];
  fractions: number[];
  seeds: number[];
  imagenetWeights: string;
  mocoWeights: string;
  /** Settings of a stored grid that the wizard does not edit (e.g. augmentation, referable set), kept as they were. */
  keepBase: Record<string, unknown>;
  keepOverrides: Partial<Record<TrainingStrategy, Record<string, unknown>>>;
}

const IWNE_DEFAULTS = TrainingSpec.parse({ strategy: 'IWNE-FS' });
const IFI_DEFAULTS = TrainingSpec.parse({ strategy: 'IFI-FS' });
const MOCO_DEFAULTS = MocoSettings.parse({});
const GRID_DEFAULTS = GridSpec.parse({});

/** The paper's defaults, read from the schemas: IWNE 500 epochs at 1e-4, IFI 50 at 1e-3, MoCo v2 200 epochs at 0.03 with K = 65,536. */
export const DEFAULT_HYPER: HyperForm = {
  arch: IWNE_DEFAULTS.arch,
  inputSize: String(IWNE_DEFAULTS.inputSize),
  batchSize: String(IWNE_DEFAULTS.batchSize),
  iwneEpochs: String(IWNE_DEFAULTS.epochs),
  iwneLr: String(IWNE_DEFAULTS.lr),
  ifiEpochs: String(IFI_DEFAULTS.epochs),
  ifiLr: String(IFI_DEFAULTS.lr),
  mocoEpochs: String(MOCO_DEFAULTS.epochs),
  mocoLr: String(MOCO_DEFAULTS.lr),
  mocoQueue: String(MOCO_DEFAULTS.queueSize),
};

export const INITIAL_GRID_FORM: GridForm = {
  ...DEFAULT_HYPER,
  datasetId: '',
  strategies: ['IWNE-FS'],
  fractions: [...GRID_DEFAULTS.fractions],
  seeds: [...GRID_DEFAULTS.seeds],
  imagenetWeights: '',
  mocoWeights: '',
  keepBase: {},
  keepOverrides: {},
};

const SPEC_FIELDS = TrainingSpec.in.shape;
const MOCO_FIELDS = MocoSettings.shape;
const GRID_FIELDS = GridSpec.shape;

/** Each wizard field's one-line explanation: the schema's own `.describe()` text. */
export const FIELD_HELP: Record<
  HyperField | 'datasetId' | 'strategies' | 'fractions' | 'seeds' | 'imagenetWeights' | 'mocoWeights',
  string
> = {
  arch: SPEC_FIELDS.arch.description ?? '',
  inputSize: SPEC_FIELDS.inputSize.description ?? '',
  batchSize: SPEC_FIELDS.batchSize.description ?? '',
  iwneEpochs: SPEC_FIELDS.epochs.description ?? '',
  iwneLr: SPEC_FIELDS.lr.description ?? '',
  ifiEpochs: SPEC_FIELDS.epochs.description ?? '',
  ifiLr: SPEC_FIELDS.lr.description ?? '',
  mocoEpochs: MOCO_FIELDS.epochs.description ?? '',
  mocoLr: MOCO_FIELDS.lr.description ?? '',
  mocoQueue: MOCO_FIELDS.queueSize.description ?? '',
  datasetId: SPEC_FIELDS.datasetId.description ?? '',
  strategies: SPEC_FIELDS.strategy.description ?? '',
  fractions: `${GRID_FIELDS.fractions.description ?? ''}. ${SPEC_FIELDS.fraction.description ?? ''}`,
  seeds: `${GRID_FIELDS.seeds.description ?? ''}. ${SPEC_FIELDS.seed.description ?? ''}`,
  imagenetWeights: GRID_FIELDS.imagenetWeights.description ?? '',
  mocoWeights: GRID_FIELDS.mocoWeights.description ?? '',
};

export const HYPER_LABELS: Record<HyperField, string> = {
  arch: 'Architecture',
  inputSize: 'Input size (px)',
  batchSize: 'Batch size',
  iwneEpochs: 'IWNE epochs',
  iwneLr: 'IWNE learning rate',
  ifiEpochs: 'IFI epochs',
  ifiLr: 'IFI learning rate',
  mocoEpochs: 'MoCo epochs',
  mocoLr: 'MoCo learning rate',
  mocoQueue: 'MoCo queue size K',
};

/** Architectures offered in the wizard: the paper's ResNet50, ResNet18, and reduced widths for quick runs on a CPU. */
export const ARCH_CHOICES = [
  'resnet50',
  'resnet34',
  'resnet18',
  'resnet50-w32',
  'resnet50-w16',
  'resnet50-w8',
  'resnet18-w16',
  'resnet18-w8',
  'resnet18-w4',
] as const;

/** The hyperparameter fields that matter for the chosen strategies (MoCo only for IWNE-CL, which pretrains on the study images). */
export function hyperFields(strategies: readonly TrainingStrategy[]): HyperField[] {
  const fields: HyperField[] = ['arch', 'inputSize', 'batchSize'];
  if (strategies.some((s) => s.startsWith('IWNE'))) fields.push('iwneEpochs', 'iwneLr');
  if (strategies.some((s) => s.startsWith('IFI'))) fields.push('ifiEpochs', 'ifiLr');
  if (strategies.includes('IWNE-CL')) fields.push('mocoEpochs', 'mocoLr', 'mocoQueue');
  return fields;
}

/** The number a typed field holds (NaN when it is empty or not a number). */
export function parseNumber(text: string): number {
  const t = text.trim();
  return t === '' ? Number.NaN : Number(t);
}
