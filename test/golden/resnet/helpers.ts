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

/** NHWC activation → NCHW values, read asynchronously (the webgpu backend cannot read synchronously in Node). */
export async function toNCHWAsync(t: tf.Tensor): Promise<Float32Array> {
  const nchw = tf.transpose(t, [0, 3, 1, 2]);
  const values = (await nchw.data()) as Float32Array;
  nchw.dispose();
  return values;
}

/** NHWC activation → NCHW values, to compare with PyTorch's. */
export function toNCHW(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

/** The train-mode gradient fixtures (make_grad_fixtures.py) in grads/. */
export const GRADS_DIR = path.join(HERE, 'grads');

export interface GradCase {
  arch: string;
  classes: number;
  weights: string;
  input: { file: string; shape: [number, number, number, number] };
  labels: number[];
  loss64: number;
  loss32: number;
  grads: { file: string; tensors: Record<string, { offset: number; shape: number[]; torch32_rel_err: number }> };
}

export function gradFloats(file: string): Float32Array {
  const buf = readFileSync(path.join(GRADS_DIR, file));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function loadGradCases(): Record<string, GradCase> {
  return JSON.parse(readFileSync(path.join(GRADS_DIR, 'grads.json'), 'utf8')) as Record<string, GradCase>;
}
