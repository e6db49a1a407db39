/**
 * Reading tensors back to JavaScript. Every path that can run on the webgpu backend reads
 * asynchronously: in Node, tfjs-webgpu's synchronous reads (dataSync, arraySync, bufferSync) need a
 * browser canvas and throw, and even where they work they stall the GPU queue. ESLint forbids the
 * synchronous reads in src-main (eslint.config.js).
 */
import type { Tensor } from '@tensorflow/tfjs';

/** A copy of a float32 tensor's values, read back asynchronously. */
export async function readFloat32(t: Tensor): Promise<Float32Array> {
  return ((await t.data()) as Float32Array).slice();
}
