/**
 * The study wizard's form and the GridSpec (src-shared/grid.ts), both ways (pure, unit-tested in
 * test/unit/renderer/training.viewmodel.test.ts): the GridSpec the form describes, the form read back
 * from a stored grid (settings the wizard does not edit are kept as they were), and where a field
 * issue of `grid.save` (`base.lr`, `overrides.IFI-FS.epochs`, `spec.fractions.0` …) belongs in the form.
 */
import type { GridSpec, GridSpecInput } from '../../../../src-shared/grid';
import type { TrainingStrategy } from '../../../../src-shared/training';
import { STRATEGY_ORDER } from '../../../shared/strategies';
import { isNum, isStr, obj, pick } from '../training-common.viewmodel';
import { DEFAULT_HYPER, INITIAL_GRID_FORM, parseNumber, type GridForm } from './grid-form.viewmodel';

const num = (text: string) => parseNumber(text);

/**
 * The GridSpec the form describes. Shared settings go to `base`; epochs and learning rate to each
 * strategy's `overrides` (they differ by initialisation); the MoCo settings only to IWNE-CL, the one
 * strategy that pretrains on the study images (so changing them never touches the other runs' specs).
 */
export function buildGridSpec(form: GridForm): GridSpecInput {
  const strategies = STRATEGY_ORDER.filter((s) => form.strategies.includes(s));
  const overrides: Partial<Record<TrainingStrategy, Record<string, unknown>>> = {};
  for (const s of strategies) {
    const ifi = s.startsWith('IFI');
    const kept = form.keepOverrides[s] ?? {};
    const o: Record<string, unknown> = {
      ...kept,
      epochs: num(ifi ? form.ifiEpochs : form.iwneEpochs),
      lr: num(ifi ? form.ifiLr : form.iwneLr),
    };
    if (s === 'IWNE-CL') {
      const keptMoco = (kept.moco ?? form.keepBase.moco ?? {}) as Record<string, unknown>;
      o.moco = { ...keptMoco, epochs: num(form.mocoEpochs), lr: num(form.mocoLr), queueSize: num(form.mocoQueue) };
    }
    overrides[s] = o;
  }
  const spec: GridSpecInput = {
    strategies,
    fractions: [...form.fractions].sort((a, b) => a - b),
    seeds: [...form.seeds].sort((a, b) => a - b),
    base: {
      ...form.keepBase,
      datasetId: form.datasetId,
      arch: form.arch.trim(),
      inputSize: num(form.inputSize),
      batchSize: num(form.batchSize),
    },
    overrides,
  };
  // A weights file only for the strategy that uses it.
  if (strategies.includes('IFI-FS') && form.imagenetWeights.trim()) spec.imagenetWeights = form.imagenetWeights.trim();
  if (strategies.includes('IFI-CL') && form.mocoWeights.trim()) spec.mocoWeights = form.mocoWeights.trim();
  return spec;
}

const BASE_MANAGED = ['datasetId', 'arch', 'inputSize', 'batchSize', 'epochs', 'lr'];
const OVERRIDE_MANAGED = ['epochs', 'lr', 'moco'];

/**
 * The form for a stored grid (also one written by hand or the CLI): each value from the strategy's
 * override, else the base, else the default; settings the wizard does not edit are kept aside.
 */
export function formFromGrid(spec: GridSpec | null): GridForm {
  if (!spec) return { ...INITIAL_GRID_FORM };
  const base = spec.base;
  const over = (s: TrainingStrategy) => obj(spec.overrides[s]);
  const first = (key: string, strategies: TrainingStrategy[]): number | undefined => {
    for (const s of strategies) {
      const v = pick(over(s)[key], isNum);
      if (v !== undefined) return v;
    }
    return pick(base[key], isNum);
  };
  // As cellSpecInput spreads them: an override's `moco` replaces the base's whole.
  const moco = 'moco' in over('IWNE-CL') ? obj(over('IWNE-CL').moco) : obj(base.moco);
  const text = (v: number | undefined, fallback: string) => (v === undefined ? fallback : String(v));
  const keepOverrides: GridForm['keepOverrides'] = {};
  for (const s of STRATEGY_ORDER) {
    const rest = Object.fromEntries(Object.entries(over(s)).filter(([k]) => !OVERRIDE_MANAGED.includes(k)));
    const keptMoco = Object.fromEntries(Object.entries(obj(over(s).moco)).filter(([k]) => !['epochs', 'lr', 'queueSize'].includes(k)));
    if (s === 'IWNE-CL' && Object.keys(keptMoco).length > 0) rest.moco = keptMoco;
    if (Object.keys(rest).length > 0) keepOverrides[s] = rest;
  }
  const keepBase = Object.fromEntries(Object.entries(base).filter(([k]) => !BASE_MANAGED.includes(k)));
  return {
    datasetId: pick(base.datasetId, isStr) ?? '',
    strategies: STRATEGY_ORDER.filter((s) => spec.strategies.includes(s)),
    fractions: [...spec.fractions].sort((a, b) => a - b),
    seeds: [...spec.seeds].sort((a, b) => a - b),
    imagenetWeights: spec.imagenetWeights ?? '',
    mocoWeights: spec.mocoWeights ?? '',
    arch: pick(base.arch, isStr) ?? DEFAULT_HYPER.arch,
    inputSize: text(pick(base.inputSize, isNum), DEFAULT_HYPER.inputSize),
    batchSize: text(pick(base.batchSize, isNum), DEFAULT_HYPER.batchSize),
    iwneEpochs: text(first('epochs', ['IWNE-FS', 'IWNE-CL']), DEFAULT_HYPER.iwneEpochs),
    iwneLr: text(first('lr', ['IWNE-FS', 'IWNE-CL']), DEFAULT_HYPER.iwneLr),
    ifiEpochs: text(first('epochs', ['IFI-FS', 'IFI-CL']), DEFAULT_HYPER.ifiEpochs),
    ifiLr: text(first('lr', ['IFI-FS', 'IFI-CL']), DEFAULT_HYPER.ifiLr),
    mocoEpochs: text(pick(moco.epochs, isNum), DEFAULT_HYPER.mocoEpochs),
    mocoLr: text(pick(moco.lr, isNum), DEFAULT_HYPER.mocoLr),
    mocoQueue: text(pick(moco.queueSize, isNum), DEFAULT_HYPER.mocoQueue),
    keepBase,
    keepOverrides,
  };
}

/**
 * The form field a `grid.save` field issue belongs to, or null. Paths come either from the contract's
 * schema (`spec.fractions.0`, `spec.base`) or from the grid service (`base.lr`,
 * `overrides.IWNE-CL.moco.epochs`).
 */
export function fieldOfGridIssue(path: string): keyof GridForm | null {
  const parts = path.replace(/^spec\./, '').split('.');
  const [head, second, third, fourth] = parts;
  if (head === 'strategies' || head === 'fractions' || head === 'seeds' || head === 'imagenetWeights' || head === 'mocoWeights')
    return head;
  if (head === 'base') {
    if (second === 'datasetId' || second === 'arch' || second === 'inputSize' || second === 'batchSize') return second;
    if (second === 'epochs') return 'iwneEpochs';
    if (second === 'lr') return 'iwneLr';
    if (second === 'moco')
      return third === 'epochs' ? 'mocoEpochs' : third === 'lr' ? 'mocoLr' : third === 'queueSize' ? 'mocoQueue' : null;
    return null;
  }
  if (head === 'overrides' && second) {
    const ifi = second.startsWith('IFI');
    if (third === 'epochs') return ifi ? 'ifiEpochs' : 'iwneEpochs';
    if (third === 'lr') return ifi ? 'ifiLr' : 'iwneLr';
    if (third === 'moco')
      return fourth === 'epochs' ? 'mocoEpochs' : fourth === 'lr' ? 'mocoLr' : fourth === 'queueSize' ? 'mocoQueue' : null;
  }
  return null;
}
