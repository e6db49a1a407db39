/** Fixture access for the ResNet golden tests (fixtures made by make_fixtures.py). */
import tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const HERE = import.meta.dirname;
export const FULL_DIR = path.join(HERE, 'full');

export interface ArrayEntry {
  file: string;
  shape: number[];
  dtype: string;
}
export interface CaseFixture {
  arch: string;
  classes: number;
  weights: string[];
  logits: ArrayEntry;
  layer1: ArrayEntry;
  layer2: ArrayEntry;
  layer3: ArrayEntry;
  layer4: ArrayEntry;
  train?: Record<string, ArrayEntry> & { 'bn1.num_batches_tracked': number };
}
export interface Fixtures {
  input: ArrayEntry;
  cases: Record<string, CaseFixture>;
  moco?: {
    file: string;
    arch: string;
    layer1: ArrayEntry;
    layer2: ArrayEntry;
    layer3: ArrayEntry;
    layer4: ArrayEntry;
    mlp_dim: number;
    out_dim: number;
  };
  dtypes?: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
  pickles?: Record<string, string>;
}

export function loadFixtures(dir = HERE): Fixtures | null {
  const file = path.join(dir, 'fixtures.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Fixtures) : null;
}

export function readArray(entry: ArrayEntry, dir = HERE): Float32Array {
  const buf = readFileSync(path.join(dir, entry.file));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The fixture input (NCHW on disk) as an NHWC tensor. */
export function inputNHWC(entry: ArrayEntry, dir = HERE): tf.Tensor4D {
  return tf.tidy(
    () => tf.transpose(tf.tensor4d(readArray(entry, dir), entry.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D,
  );
}

/** NHWC activation → NCHW values, to compare with PyTorch's. */
export function toNCHW(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}
