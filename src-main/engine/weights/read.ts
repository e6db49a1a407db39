/**
 * Opens any supported weights file and returns its tensors by name:
 * torch.save zip / legacy (a state dict, or a training checkpoint holding one under
 * `state_dict`, `model_state_dict`, `model` …), `.safetensors`, and tfjs `model.json` (+ shards).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { PyDict, PyGlobal, PySet, PyTuple, TorchTensorRef, type PyValue } from './pickle';
import { isSafetensors, readSafetensors } from './safetensors';
import { numel, plainBytes, type RawTensor, type TensorLayout } from './tensors';
import { readTfjsWeights } from './tfjs-format';
import { isLegacyTorch, readTorchFile, weightsMaxBytes, type TorchFile } from './torch';
import { isZip } from './zip';

export type WeightFormat = 'torch-zip' | 'torch-legacy' | 'safetensors' | 'tfjs';

export interface CheckpointField {
  key: string;
  /** e.g. `200`, `"resnet50"`, `dict with 2 entries (161 tensors)`. */
  description: string;
}

export interface WeightFile {
  file: string;
  format: WeightFormat;
  layout: TensorLayout;
  /** The model's tensors, named as in the file (prefixes such as `module.` not yet stripped). */
  tensors: Map<string, RawTensor>;
  /** For a checkpoint: the key the state dict was found under (null when the file is one). */
  stateDictKey: string | null;
  /** A checkpoint's other top-level entries (epoch, arch, optimizer …), described, never loaded. */
  otherFields: CheckpointField[];
  metadata: Record<string, string>;
}

/** Keys a training checkpoint may keep its model's state dict under, tried in order. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'module'];

/** Reads a weights file (or a directory holding model.json). */
export async function readWeightFile(file: string): Promise<WeightFile> {
  let stat;
  try {
    stat = await fsp.stat(file);
  } catch {
    throw new AppError('NOT_FOUND', `Weights file not found: ${file}`);
  }
  const target = stat.isDirectory() ? path.join(file, 'model.json') : file;
  if (target.toLowerCase().endsWith('.json')) {
    const w = await readTfjsWeights(target);
    return {
      file,
      format: 'tfjs',
      layout: w.layout,
      tensors: w.tensors,
      stateDictKey: null,
      otherFields: [],
      metadata: Object.fromEntries(Object.entries(w.info).map(([k, v]) => [k, String(v)])),
    };
  }
  const max = weightsMaxBytes();
  if (!stat.isDirectory() && stat.size > max)
    throw new AppError(
      'BAD_REQUEST',
      `${path.basename(file)} is ${stat.size} bytes, more than the cap of ${max} bytes for a weights file (FUNDUSLAB_WEIGHTS_MAX_BYTES)`,
    );
  return parseWeightBytes(new Uint8Array(await fsp.readFile(target)), file);
}

/** Parses the bytes of a torch.save or .safetensors file. */
export function parseWeightBytes(input: Uint8Array, file = 'the file'): WeightFile {
  const bytes = plainBytes(input);
  const what = path.basename(file);
  if (isZip(bytes) || isLegacyTorch(bytes)) return fromTorch(readTorchFile(bytes, what), file);
  if (isSafetensors(bytes)) {
    const { tensors, metadata } = readSafetensors(bytes, what);
    return { file, format: 'safetensors', layout: 'torch', tensors, stateDictKey: null, otherFields: [], metadata };
  }
  if (bytes.length < 16) throw new AppError('BAD_REQUEST', `${what} is empty or truncated (${bytes.length} bytes)`);
  throw new AppError(
    'BAD_REQUEST',
    `${what} is not a recognised weights file (torch.save zip or legacy, .safetensors, or tfjs model.json)`,
  );
}

function isStateDict(v: PyValue | undefined): v is PyDict {
  if (!(v instanceof PyDict) || v.map.size === 0) return false;
  for (const [k, x] of v.map) if (typeof k !== 'string' || !(x instanceof TorchTensorRef)) return false;
  return true;
}

function fromTorch(t: TorchFile, file: string): WeightFile {
  const what = path.basename(file);
  const root = t.root;
  let sd: PyDict | null = null;
  let stateDictKey: string | null = null;
  const otherFields: CheckpointField[] = [];
  if (isStateDict(root)) sd = root;
  else if (root instanceof PyDict) {
    for (const key of STATE_DICT_KEYS) {
      const v = root.get(key);
      if (isStateDict(v)) {
        sd = v;
        stateDictKey = key;
        break;
      }
    }
    for (const [k, v] of root.map) if (String(k) !== stateDictKey) otherFields.push({ key: String(k), description: describe(v) });
  }
  if (!sd) {
    const keys = root instanceof PyDict ? [...root.map.keys()].map(String).join(', ') : describe(root);
    throw new AppError(
      'BAD_REQUEST',
      `${what} holds no state dict of tensors (looked at the top level and under ${STATE_DICT_KEYS.join(', ')}; found: ${keys})`,
    );
  }
  const tensors = new Map<string, RawTensor>();
  for (const [k, v] of sd.map) tensors.set(k as string, t.materialize(v as TorchTensorRef, k as string));
  return { file, format: t.format, layout: 'torch', tensors, stateDictKey, otherFields, metadata: {} };
}

function countTensors(v: PyValue, depth = 0): number {
  if (depth > 20) return 0;
  if (v instanceof TorchTensorRef) return 1;
  if (v instanceof PyDict) return [...v.map.values()].reduce<number>((a, x) => a + countTensors(x, depth + 1), 0);
  if (Array.isArray(v)) return v.reduce<number>((a, x) => a + countTensors(x, depth + 1), 0);
  if (v instanceof PyTuple) return v.items.reduce<number>((a, x) => a + countTensors(x, depth + 1), 0);
  return 0;
}

/** One-line description of a pickled value for reports. */
export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `bytes (${v.length})`;
  if (v instanceof TorchTensorRef) return `tensor ${v.storage.dtype} [${v.shape.join(', ')}] (${numel(v.shape)} elements)`;
  const tensors = countTensors(v);
  const suffix = tensors > 0 ? ` (${tensors} tensors)` : '';
  if (v instanceof PyDict) return `dict with ${v.map.size} entries${suffix}`;
  if (Array.isArray(v)) return `list of ${v.length}${suffix}`;
  if (v instanceof PyTuple) return `tuple of ${v.items.length}${suffix}`;
  if (v instanceof PySet) return `set of ${v.items.length}`;
  if (v instanceof PyGlobal) return v.qualifiedName;
  return 'storage';
}
