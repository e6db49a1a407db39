import tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();

describe.skipIf(!status)('webgpu backend (forced)', () => {
  it('is active on an adapter and computes a matrix product equal to the cpu backend', async () => {
    expect(status!.active).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const used = status!.adapters.filter((a) => a.used);
    expect(used).toHaveLength(1);
    const a = tf.randomUniform([64, 48], -1, 1, 'float32', 1);
    const b = tf.randomUniform([48, 32], -1, 1, 'float32', 2);
    const gpu = await tf.matMul(a, b).data();
    // Synchronous reads (dataSync, arraySync) cannot wait for a GPU in Node: everything reads back asynchronously.
    const av = (await a.array()) as number[][];
    const bv = (await b.array()) as number[][];
    const ref = av.flatMap((row) => bv[0]!.map((_, j) => row.reduce((s, x, k) => s + x * bv[k]![j]!, 0)));
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(gpu[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });
});
