/** Shared helpers of the LRP tests: random models/graphs/inputs from the seeded PRNG, per-image sums. */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import type { ResNet } from '../../../src-main/engine/models/resnet';
import { Rng } from '../../../src-main/random/prng';
import type { LayerGraph, LayerNode } from '../../../src-main/analysis/lrp/graph';

/** Normal(0, sd) values from Rng(seed). */
export function normals(n: number, seed: number, sd = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sd * rng.normal();
  return out;
}

export function uniforms(n: number, seed: number, lo: number, hi: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.range(lo, hi);
  return out;
}

export function randomInput(shape: [number, number, number, number], seed: number, sd = 1): Tensor4D {
  return tf.tensor4d(
    normals(
      shape.reduce((a, b) => a * b, 1),
      seed,
      sd,
    ),
    shape,
  );
}

/**
 * Randomises every BatchNorm (γ ∈ [0.5, 1.5), β ~ 0.2·N(0,1), μ ~ 0.2·N(0,1), σ² ∈ [0.5, 2)) and the fc
 * bias, as the ResNet golden fixtures do: a fresh BatchNorm (γ 1, β 0, μ 0, σ² 1) would not test merging.
 */
export function randomizeBatchNorm(model: ResNet, seed: number): void {
  let s = seed;
  for (const spec of model.specs) {
    const v = () => model.variable(spec.name);
    const n = spec.tfjsShape.reduce((a, b) => a * b, 1);
    const assign = (values: Float32Array) => tf.tidy(() => v().assign(tf.tensor(values, spec.tfjsShape)));
    if (spec.role === 'bn.weight') assign(uniforms(n, s++, 0.5, 1.5));
    else if (spec.role === 'bn.bias' || spec.role === 'bn.running_mean') assign(normals(n, s++, 0.2));
    else if (spec.role === 'bn.running_var') assign(uniforms(n, s++, 0.5, 2));
    else if (spec.role === 'fc.bias') assign(normals(n, s++, 0.1));
  }
}

/** Sets every bias to zero: BatchNorm β and running mean (so merged conv biases are 0) and fc.bias. */
export function zeroBiases(model: ResNet): void {
  for (const spec of model.specs) {
    if (spec.role === 'bn.bias' || spec.role === 'bn.running_mean' || spec.role === 'fc.bias') {
      const v = model.variable(spec.name);
      tf.tidy(() => v.assign(tf.zerosLike(v)));
    }
  }
}

/** Per-image sums of an [N, …] array. */
export function perImageSums(values: ArrayLike<number>, n: number): number[] {
  const per = values.length / n;
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < per; k++) s += values[i * per + k]!;
    return s;
  });
}

/** A small graph from a node list whose parameter tensors the caller creates (owned by the graph). */
export function tinyGraph(nodes: LayerNode[], output: string): LayerGraph {
  const owned: Tensor[] = [];
  for (const n of nodes) {
    if (n.type === 'conv' || n.type === 'linear') owned.push(n.weight, ...(n.bias ? [n.bias] : []));
    if (n.type === 'bn') owned.push(n.gamma, n.beta, n.mean, n.variance);
  }
  return { nodes, output, owned, canonizers: [] };
}

export function convNode(
  name: string,
  input: string,
  kernel: number,
  cin: number,
  cout: number,
  stride: number,
  pad: number,
  seed: number,
  bias: boolean,
): LayerNode {
  const weight = tf.tensor4d(normals(kernel * kernel * cin * cout, seed, Math.sqrt(2 / (kernel * kernel * cin))), [
    kernel,
    kernel,
    cin,
    cout,
  ]);
  const b = bias ? (tf.tensor1d(normals(cout, seed + 1000, 0.1)) as Tensor1D) : null;
  return { type: 'conv', name, inputs: [input], weight, bias: b, stride, pad };
}

export function linearNode(name: string, input: string, cin: number, cout: number, seed: number, bias: boolean): LayerNode {
  const weight = tf.tensor2d(normals(cin * cout, seed, Math.sqrt(1 / cin)), [cin, cout]) as Tensor2D;
  const b = bias ? (tf.tensor1d(normals(cout, seed + 1000, 0.1)) as Tensor1D) : null;
  return { type: 'linear', name, inputs: [input], weight, bias: b };
}

export function bnNode(name: string, input: string, c: number, seed: number): LayerNode {
  return {
    type: 'bn',
    name,
    inputs: [input],
    gamma: tf.tensor1d(uniforms(c, seed, 0.5, 1.5)) as Tensor1D,
    beta: tf.tensor1d(normals(c, seed + 1, 0.2)) as Tensor1D,
    mean: tf.tensor1d(normals(c, seed + 2, 0.2)) as Tensor1D,
    variance: tf.tensor1d(uniforms(c, seed + 3, 0.5, 2)) as Tensor1D,
    eps: 1e-5,
  };
}
