import { AppError } from '../../../src-shared/errors';
import { initEngine } from '../../engine/backend';
import { DEFAULT_INPUT_SIZE, DEFAULT_REFERABLE, IMAGENET_MEAN, IMAGENET_STD, predictImages } from '../../engine/predict';
import { archName } from '../../engine/models/resnet-spec';
import { loadResNet } from '../../engine/weights/load';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';

export const PREDICT_USAGE =
  'funduslab predict --weights <file> --arch <resnet50|resnet18|resnet50-w16|…> [--classes 5] [--referable 3,4] [--raw] [--size 224] [--mean r,g,b --std r,g,b] [--batch 8] [--allow-non-finite] <image…> [--json]';

function numberList(value: string, what: string, count?: number): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n)) || (count !== undefined && list.length !== count)) {
    throw new AppError('BAD_REQUEST', `${what} must be ${count ?? 'a list of'} comma-separated numbers (got "${value}")`);
  }
  return list;
}

/**
 * `funduslab predict`: per-image logits, softmax and P(referable) (sum over the referable grades).
 * Without --raw: shorter side resized to --size, centre crop, ImageNet mean/std. With --raw: images
 * must already be size × size; only scaled to [0, 1] and normalised. Weights holding NaN or ±∞ are
 * refused unless --allow-non-finite; a P(referable) that is NaN (non-finite weights or image) is
 * an error (exit code non-zero) naming the images, after the predictions are written.
 */
export async function runPredict(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    weights: { type: 'string' },
    arch: { type: 'string' },
    classes: { type: 'string' },
    referable: { type: 'string' },
    raw: { type: 'boolean', default: false },
    size: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    batch: { type: 'string' },
    'allow-non-finite': { type: 'boolean', default: false },
  });
  if (!values.weights || !values.arch) throw new AppError('BAD_REQUEST', `predict needs --weights and --arch; usage: ${PREDICT_USAGE}`);
  if (positionals.length === 0) throw new AppError('BAD_REQUEST', 'predict needs at least one image');
  const classes = values.classes !== undefined ? numberList(values.classes, '--classes', 1)[0]! : undefined;
  const referable = values.referable !== undefined ? numberList(values.referable, '--referable') : [...DEFAULT_REFERABLE];
  const size = values.size !== undefined ? numberList(values.size, '--size', 1)[0]! : DEFAULT_INPUT_SIZE;
  if (!Number.isInteger(size) || size < 32) throw new AppError('BAD_REQUEST', `--size must be an integer ≥ 32 (got ${size})`);
  const mean = (values.mean !== undefined ? numberList(values.mean, '--mean', 3) : [...IMAGENET_MEAN]) as [number, number, number];
  const std = (values.std !== undefined ? numberList(values.std, '--std', 3) : [...IMAGENET_STD]) as [number, number, number];
  if (std.some((s) => s <= 0)) throw new AppError('BAD_REQUEST', '--std values must be positive');
  const batchSize = values.batch !== undefined ? numberList(values.batch, '--batch', 1)[0]! : 8;

  const engine = await initEngine({ preference: 'auto' });
  // A re-initialised head would make the predictions meaningless: refuse files without one.
  const { model, report } = await loadResNet(values.weights, values.arch, classes, {
    reinitialiseHead: false,
    allowNonFinite: values['allow-non-finite'],
  });
  const progress = stderrProgress('predict', !values.json);
  try {
    const predictions = await predictImages(model, positionals, {
      raw: values.raw,
      size,
      mean,
      std,
      referable,
      batchSize,
      onProgress: (d, t) => progress.update(d, t, `${d}/${t} images`),
    });
    progress.end();
    if (values.json) {
      const out = {
        ok: true,
        backend: engine.active,
        arch: archName(model.config),
        classes: model.config.classes,
        weights: values.weights,
        weightsFormat: report.format,
        referable,
        preprocessing: values.raw ? { mode: 'raw', size, mean, std } : { mode: 'resize-shorter-side-center-crop', size, mean, std },
        predictions,
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      process.stdout.write(
        `Backend ${engine.active}; ${archName(model.config)} (${model.config.classes} classes) from ${values.weights}; P(referable) = P(grade ∈ {${referable.join(', ')}})\n`,
      );
      for (const p of predictions) {
        process.stdout.write(
          `${p.image}\tP(referable)=${p.pReferable.toFixed(4)}\tgrade=${p.argmax < 0 ? 'none' : p.argmax}\tlogits=[${p.logits.map((l) => l.toFixed(4)).join(', ')}]\n`,
        );
      }
    }
    const notANumber = predictions.filter((p) => Number.isNaN(p.pReferable));
    if (notANumber.length > 0) {
      const names = notANumber.slice(0, 5).map((p) => p.image);
      throw new AppError(
        'BAD_REQUEST',
        `P(referable) is not a number: the weights or the image hold non-finite values (${notANumber.length} of ${predictions.length} images: ${names.join(', ')}${notANumber.length > names.length ? ', …' : ''}; weights ${values.weights})`,
      );
    }
    return 0;
  } finally {
    model.dispose();
  }
}
