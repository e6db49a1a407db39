/**
 * Demo stand-ins for the external pretrained weights the IFI strategies need. The demo study cannot
 * download ImageNet weights, so it derives them honestly from data FundusLab generates itself — the
 * non-fundus synthetic texture set (10 classes of procedural textures and shapes, demo/textures.ts):
 *
 *   - "ImageNet" stand-in (IFI-FS): supervised classification of the 10 texture classes;
 *   - "MoCo v2 ImageNet" stand-in (IFI-CL): MoCo v2 pretraining on the same textures (labels unused),
 *     saved in the official MoCo state_dict format.
 *
 * Both files say what they are in their safetensors metadata (`standin`), and the report labels
 * them as demo stand-ins. They share nothing with the fundus data, so the IFI strategies still
 * start from "external" features, as in the paper.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { AugmentSettings, TrainingSpec } from '../../../src-shared/training';
import { AugmentPool } from '../../engine/augment/augment-pool';
import { IMAGENET_MEAN, IMAGENET_STD, normalize } from '../../engine/augment/ops';
import { hashSeeds } from '../../random/streams';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { AdamW, namedGradients } from '../../engine/optim/adamw';
import { modelTensors } from '../../engine/weights/export';
import { readSafetensors, writeSafetensors } from '../../engine/weights/safetensors';
import { mulberry32 } from '../../random/prng';
import { parseCsv, columnIndex } from '../datasets/csv';
import { shuffle } from '../datasets/splits';
import { writeFileAtomic } from '../../fs/atomic';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { AUGMENT_AHEAD, augmentInPool, ImageSource, PrefetchLoader, toBatches, type TrainingItem } from '../training/data';
import { crossEntropy } from '../../engine/loss';
import { runPretraining } from '../training/pretrain';
import { DEMO_MOCO } from './study-demo';

export interface StandinOptions {
  /** The texture set folder written by writeTextureSet (labels.csv + images/). */
  texturesDir: string;
  /** Output folder for the two weight files (and the MoCo pretraining's checkpoints). */
  outDir: string;
  arch: string;
  inputSize: number;
  supervisedEpochs: number;
  mocoEpochs: number;
  batchSize?: number;
  seed?: number;
}

export interface StandinResult {
  imagenetWeights: string;
  mocoWeights: string;
  images: number;
  classes: number;
  supervisedAccuracy: number;
  mocoFinalLoss: number | null;
}

export const STANDIN_NOTE = 'DEMO STAND-IN: derived from FundusLab synthetic textures, NOT ImageNet';

/** The texture images as training items (grade = class label). */
export async function textureItems(texturesDir: string): Promise<{ items: TrainingItem[]; classes: number }> {
  const file = path.join(texturesDir, 'labels.csv');
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `${file} not found: the texture set is written by funduslab demo-data.`);
  const table = parseCsv(await fsp.readFile(file, 'utf8'));
  const img = columnIndex(table, 'image');
  const lab = columnIndex(table, 'label');
  const items = table.rows.map((r, index) => {
    const name = r.cells[img]!;
    const candidates = [
      path.join(texturesDir, 'images', name),
      path.join(texturesDir, 'images', `${name}.png`),
      path.join(texturesDir, name),
    ];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new AppError('NOT_FOUND', `Texture image ${name} (row ${index + 2} of ${file}) is missing.`);
    return { index, id: name, grade: Number(r.cells[lab]), file: found, resample: true };
  });
  return { items, classes: Math.max(...items.map((i) => i.grade)) + 1 };
}

/** Trains (or reuses) both stand-ins; see the module comment. */
export async function deriveStandinWeights(o: StandinOptions, ctx: JobContext): Promise<StandinResult> {
  const seed = o.seed ?? 0;
  const batch = o.batchSize ?? 32;
  await fsp.mkdir(o.outDir, { recursive: true });
  const { items, classes } = await textureItems(o.texturesDir);
  const imagenetWeights = path.join(o.outDir, 'imagenet-standin.safetensors');
  const summaryFile = path.join(o.outDir, 'supervised.json');
  let supervisedAccuracy: number;
  if (existsSync(imagenetWeights) && existsSync(summaryFile)) {
    supervisedAccuracy = (JSON.parse(await fsp.readFile(summaryFile, 'utf8')) as { accuracy: number }).accuracy;
  } else {
    supervisedAccuracy = await trainSupervised(o, items, classes, imagenetWeights, batch, seed, ctx);
    await writeFileAtomic(
      summaryFile,
      JSON.stringify(
        { note: STANDIN_NOTE, accuracy: supervisedAccuracy, images: items.length, classes, epochs: o.supervisedEpochs },
        null,
        2,
      ),
    );
  }

  const spec = TrainingSpec.parse({
    strategy: 'IWNE-CL',
    arch: o.arch,
    inputSize: o.inputSize,
    seed,
    normalisation: { kind: 'imagenet' },
    // The demo's MoCo settings (study-demo.ts DEMO_MOCO: settings that learn on a few hundred images).
    moco: { ...DEMO_MOCO, epochs: o.mocoEpochs, batchSize: batch },
  });
  const moco = await runPretraining(spec, o.outDir, ctx, { items, dir: path.join(o.outDir, 'moco') });
  const mocoWeights = path.join(o.outDir, 'moco-standin.safetensors');
  if (!existsSync(mocoWeights)) {
    // The pretrained encoder, saying in its metadata what it is (as the supervised stand-in does).
    const encoder = readSafetensors(await fsp.readFile(moco.summary.encoderPath), moco.summary.encoderPath);
    await writeFileAtomic(mocoWeights, writeSafetensors(encoder.tensors, { ...encoder.metadata, standin: STANDIN_NOTE }));
  }
  return { imagenetWeights, mocoWeights, images: items.length, classes, supervisedAccuracy, mocoFinalLoss: moco.summary.finalLoss };
}

async function trainSupervised(
  o: StandinOptions,
  items: TrainingItem[],
  classes: number,
  out: string,
  batch: number,
  seed: number,
  ctx: JobContext,
): Promise<number> {
  const S = o.inputSize;
  const model = ResNet.create(parseArch(o.arch, classes), { seed });
  const optimizer = new AdamW(model.trainableVariables(), { lr: 1e-3 });
  const source = new ImageSource(S);
  const aug = AugmentSettings.parse({ randomResizedCrop: { scale: [0.5, 1] }, horizontalFlip: 0.5 });
  const vars = model.trainableVariables();
  let correct = 0;
  let seen = 0;
  const pool = await AugmentPool.create();
  try {
    for (let epoch = 1; epoch <= o.supervisedEpochs; epoch++) {
      const order = shuffle(items, mulberry32(hashSeeds(seed, epoch, 0x7374)));
      const loader = new PrefetchLoader(
        source,
        toBatches(order, batch, true),
        AUGMENT_AHEAD,
        augmentInPool(pool, { settings: aug, seed, epoch, size: S, views: [0], label: (b) => `stand-in epoch ${epoch}, batch ${b + 1}` }),
      );
      correct = 0;
      seen = 0;
      try {
        for (let b = 0; b < loader.length; b++) {
          throwIfCancelled(ctx);
          const bt = (await loader.next())!;
          const n = bt.items.length;
          const [loss, hits] = tf.tidy(() => {
            const x = normalize(tf.tensor4d(bt.views![0]!, [n, S, S, 3]), IMAGENET_MEAN, IMAGENET_STD);
            const y = tf.tensor1d(
              bt.items.map((i) => i.grade),
              'int32',
            );
            let logits: tf.Tensor2D | null = null;
            const { value, grads } = namedGradients(vars, () => {
              logits = tf.keep(model.forward(x, { training: true }));
              return crossEntropy(logits, y, null);
            });
            optimizer.step(grads);
            const h = tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), y), 'float32'));
            (logits as tf.Tensor2D | null)?.dispose();
            return [value, h];
          });
          const l = (await loss.data())[0]!;
          correct += (await hits.data())[0]!;
          seen += n;
          tf.dispose([loss, hits]);
          if (!Number.isFinite(l)) throw new AppError('INTERNAL', `The stand-in training loss became ${l}.`);
          ctx.progress(
            (epoch - 1) * loader.length + b + 1,
            o.supervisedEpochs * loader.length,
            `Stand-in "ImageNet" weights (supervised, synthetic textures): epoch ${epoch}/${o.supervisedEpochs}, loss ${l.toFixed(3)}`,
          );
        }
      } finally {
        await loader.drain();
      }
      ctx.log(
        `stand-in supervised epoch ${epoch}: training accuracy ${((100 * correct) / seen).toFixed(1)}% on ${classes} texture classes`,
      );
    }
    await writeFileAtomic(
      out,
      writeSafetensors(await modelTensors(model, 'torch'), {
        format: 'pt',
        producer: 'funduslab',
        standin: STANDIN_NOTE,
        arch: o.arch,
        classes: String(classes),
      }),
    );
    return seen > 0 ? correct / seen : 0;
  } finally {
    await pool.terminate();
    optimizer.dispose();
    model.dispose();
  }
}
