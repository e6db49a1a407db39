/**
 * FundusLab's TensorFlow.js weights format: a `model.json` whose `weightsManifest` follows the
 * tfjs convention (`[{paths: ['weights.bin'], weights: [{name, shape, dtype}]}]`, tensors stored
 * back to back, little-endian) so `tf.io` tooling can read the binary, plus a `funduslab` block:
 *
 *   { "format": "funduslab-weights", "formatVersion": 1,
 *     "funduslab": { "arch": "resnet50", "classes": 5, "layout": "tfjs" },
 *     "weightsManifest": [ { "paths": ["weights.bin"], "weights": [ {"name": "conv1.weight", "shape": [7,7,3,64], "dtype": "float32"}, … ]
 * } ] }
 *
 * Names are torchvision state_dict keys; tensors are in the tfjs layout (conv HWIO, dense [in, out]);
 * `num_batches_tracked` is int32 (tfjs has no int64). Reading accepts any model.json with a
 * weightsManifest of float32/int32 tensors (e.g. a tfjs layers model), names as written there.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { DTYPE_BYTES, numel, type DType, type RawTensor, type TensorLayout } from './tensors';

export const TFJS_FORMAT = 'funduslab-weights';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

const TFJS_DTYPES: Record<string, DType> = { float32: 'float32', int32: 'int32', bool: 'bool', uint8: 'uint8' };

export interface TfjsWeights {
  tensors: Map<string, RawTensor>;
  layout: TensorLayout;
  info: { arch?: string; classes?: number; format?: string };
}

export async function readTfjsWeights(modelJson: string): Promise<TfjsWeights> {
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(modelJson, 'utf8'));
  } catch (err) {
    throw new AppError('BAD_REQUEST', `${modelJson} is not a readable model.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new AppError('BAD_REQUEST', `${modelJson} has no weightsManifest`);
  const dir = path.dirname(modelJson);
  const tensors = new Map<string, RawTensor>();
  for (const group of manifest as { paths?: unknown; weights?: unknown }[]) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new AppError('BAD_REQUEST', `${modelJson}: a weightsManifest group lacks paths or weights`);
    const shards = await Promise.all(
      group.paths.map(async (p: unknown) => {
        const file = path.resolve(dir, String(p));
        if (path.relative(dir, file).startsWith('..'))
          throw new AppError('BAD_REQUEST', `${modelJson}: shard path "${String(p)}" leaves the model folder`);
        return fsp.readFile(file).catch(() => {
          throw new AppError('NOT_FOUND', `${modelJson}: weights shard ${String(p)} is missing`);
        });
      }),
    );
    const data = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights as ManifestEntry[]) {
      if (w.quantization) throw new AppError('UNSUPPORTED', `${modelJson}: quantized weight "${w.name}" is not supported`);
      const dtype = TFJS_DTYPES[w.dtype];
      if (!dtype) throw new AppError('UNSUPPORTED', `${modelJson}: weight "${w.name}" has dtype ${w.dtype}`);
      const nbytes = numel(w.shape) * DTYPE_BYTES[dtype];
      if (offset + nbytes > data.length) {
        throw new AppError(
          'BAD_REQUEST',
          `${modelJson}: weights shards are truncated (weight "${w.name}" needs bytes ${offset}..${offset + nbytes}, shards hold ${data.length})`,
        );
      }
      tensors.set(w.name, { dtype, shape: [...w.shape], data: new Uint8Array(data.subarray(offset, offset + nbytes)) });
      offset += nbytes;
    }
    if (offset !== data.length)
      throw new AppError('BAD_REQUEST', `${modelJson}: weights shards hold ${data.length - offset} bytes more than the manifest describes`);
  }
  const fl = (json as { funduslab?: { arch?: unknown; classes?: unknown; layout?: unknown } }).funduslab;
  const format = (json as { format?: unknown }).format;
  return {
    tensors,
    layout: fl?.layout === 'torch' ? 'torch' : 'tfjs',
    info: {
      ...(typeof fl?.arch === 'string' ? { arch: fl.arch } : {}),
      ...(typeof fl?.classes === 'number' ? { classes: fl.classes } : {}),
      ...(typeof format === 'string' ? { format } : {}),
    },
  };
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin` (tensors already in the tfjs layout). */
export async function writeTfjsWeights(
  dir: string,
  tensors: Map<string, RawTensor>,
  info: { arch: string; classes: number },
): Promise<{ modelJson: string; weightsBin: string }> {
  await fsp.mkdir(dir, { recursive: true });
  const weights: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    let data = t;
    if (t.dtype === 'int64') {
      // tfjs has no int64: narrow (num_batches_tracked fits easily).
      const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const out = new Int32Array(numel(t.shape));
      for (let i = 0; i < out.length; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      data = { dtype: 'int32', shape: t.shape, data: new Uint8Array(out.buffer) };
    } else if (t.dtype !== 'float32' && t.dtype !== 'int32') {
      throw new AppError('UNSUPPORTED', `tfjs export: tensor "${name}" has dtype ${t.dtype}; convert to float32 first`);
    }
    weights.push({ name, shape: data.shape, dtype: data.dtype });
    chunks.push(data.data);
  }
  const modelJson = path.join(dir, 'model.json');
  const weightsBin = path.join(dir, 'weights.bin');
  await writeFileAtomic(weightsBin, Buffer.concat(chunks));
  await writeJsonAtomic(modelJson, {
    format: TFJS_FORMAT,
    formatVersion: 1,
    funduslab: { arch: info.arch, classes: info.classes, layout: 'tfjs' },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  });
  return { modelJson, weightsBin };
}
