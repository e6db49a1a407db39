/**
 * A network as an explicit layer graph — the form LRP works on. Every node is one layer (a "module"
 * in Zennit's terms) with a type, a torchvision-style name and the names of the nodes it reads; the
 * nodes are listed in forward (topological) order and `input` names the network input.
 *
 * Layer types (NHWC tensors):
 * - `conv`     y = conv2d(x, W, stride, symmetric zero padding `pad`) + b        W: [kh, kw, in, out]
 * - `bn`       y = γ·(x − μ)/√(σ² + ε) + β with the running statistics (eval mode)
 * - `relu`     y = max(x, 0)
 * - `maxpool`  y = max over a size×size window (stride, padding `pad` that never wins)
 * - `avgpool`  y[n, c] = mean over H, W of x[n, :, :, c] (global average pooling) → [N, C]
 * - `linear`   y = x·W + b                                                       W: [in, out]
 * - `add`      y = x₁ + x₂ as a *functional* operation (torchvision's `out += identity`): it is no
 *              layer, so no LRP rule can be attached to it and relevance flows through it by its
 *              gradient (each input receives the full relevance) until a canonizer replaces it
 * - `sum`      y = x₁ + x₂ as an explicit layer (made by the residual canonizer), which a composite
 *              maps to a rule
 *
 * `resnetGraph(model)` describes a FundusLab ResNet (src-main/engine/models/resnet.ts) exactly as it
 * computes in eval mode: conv → bn → relu per stem/branch, BatchNorm as its own node, residual
 * additions as functional `add` nodes followed by a `relu`. It references the model's variables
 * and owns nothing; canonizers (canonizers.ts) derive new graphs from it and never modify it.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { ResNet } from '../../engine/models/resnet';
import { BN_EPS } from '../../engine/models/resnet-spec';

export const INPUT = 'input';

export type LayerType = 'conv' | 'bn' | 'relu' | 'maxpool' | 'avgpool' | 'linear' | 'add' | 'sum';
export const LAYER_TYPES: readonly LayerType[] = ['conv', 'bn', 'relu', 'maxpool', 'avgpool', 'linear', 'add', 'sum'];

interface NodeBase {
  /** Unique within the graph (torchvision module names where there is one: `layer1.0.conv1`). */
  name: string;
  /** Names of the nodes this one reads (`input` = the network input), in argument order. */
  inputs: string[];
}
export interface ConvNode extends NodeBase {
  type: 'conv';
  weight: Tensor4D;
  bias: Tensor1D | null;
  stride: number;
  pad: number;
}
export interface BnNode extends NodeBase {
  type: 'bn';
  gamma: Tensor1D;
  beta: Tensor1D;
  mean: Tensor1D;
  variance: Tensor1D;
  eps: number;
}
export interface ReluNode extends NodeBase {
  type: 'relu';
}
export interface MaxPoolNode extends NodeBase {
  type: 'maxpool';
  size: number;
  stride: number;
  pad: number;
}
export interface AvgPoolNode extends NodeBase {
  type: 'avgpool';
}
export interface LinearNode extends NodeBase {
  type: 'linear';
  weight: Tensor2D;
  bias: Tensor1D | null;
}
export interface AddNode extends NodeBase {
  type: 'add';
}
export interface SumNode extends NodeBase {
  type: 'sum';
}
export type LayerNode = ConvNode | BnNode | ReluNode | MaxPoolNode | AvgPoolNode | LinearNode | AddNode | SumNode;

export interface LayerGraph {
  /** Forward (topological) order. */
  readonly nodes: readonly LayerNode[];
  /** Name of the node whose output is the network output (the logits). */
  readonly output: string;
  /** Tensors this graph made and owns (merged filters and biases); the model's variables are not among them. */
  readonly owned: readonly Tensor[];
  /** Which canonizers made this graph, in order (empty for the raw model graph). */
  readonly canonizers: readonly string[];
}

/** Frees the tensors the graph owns (never the model's variables). */
export function disposeGraph(graph: LayerGraph): void {
  tf.dispose([...graph.owned]);
}

/** Checks names are unique, inputs exist earlier in the order and arities fit; throws INTERNAL otherwise. */
export function validateGraph(graph: LayerGraph): void {
  const seen = new Set<string>([INPUT]);
  for (const node of graph.nodes) {
    if (seen.has(node.name)) throw new AppError('INTERNAL', `LRP graph: duplicate node name "${node.name}"`);
    for (const i of node.inputs)
      if (!seen.has(i)) throw new AppError('INTERNAL', `LRP graph: node "${node.name}" reads "${i}", which is not computed before it`);
    const arity = node.type === 'add' || node.type === 'sum' ? 2 : 1;
    if (node.inputs.length !== arity)
      throw new AppError('INTERNAL', `LRP graph: ${node.type} node "${node.name}" needs ${arity} input(s), has ${node.inputs.length}`);
    seen.add(node.name);
  }
  if (!seen.has(graph.output) || graph.output === INPUT)
    throw new AppError('INTERNAL', `LRP graph: output "${graph.output}" is not a node`);
}

/** The nodes that read each node's output (by name; `input` included). */
export function consumers(graph: LayerGraph): Map<string, LayerNode[]> {
  const out = new Map<string, LayerNode[]>([[INPUT, []]]);
  for (const n of graph.nodes) out.set(n.name, []);
  for (const n of graph.nodes) for (const i of n.inputs) out.get(i)!.push(n);
  return out;
}

/** Whether a node's output is ≥ 0 for every input (ReLU outputs and poolings of them). */
export function nonNegativeOutputs(graph: LayerGraph): Set<string> {
  const nonNeg = new Set<string>();
  for (const n of graph.nodes) {
    if (n.type === 'relu') nonNeg.add(n.name);
    else if ((n.type === 'maxpool' || n.type === 'avgpool') && nonNeg.has(n.inputs[0]!)) nonNeg.add(n.name);
    else if ((n.type === 'add' || n.type === 'sum') && n.inputs.every((i) => nonNeg.has(i))) nonNeg.add(n.name);
  }
  return nonNeg;
}

/** One layer's forward computation on its input tensors (for `relu` after a conv, see forwardGraph's fusion). */
export function layerForward(node: LayerNode, xs: Tensor[]): Tensor {
  const x = xs[0]!;
  switch (node.type) {
    case 'conv': {
      const y = tf.conv2d(x as Tensor4D, node.weight, node.stride, node.pad);
      return node.bias ? tf.add(y, node.bias) : y;
    }
    case 'bn':
      return tf.batchNorm(x as Tensor4D, node.mean, node.variance, node.beta, node.gamma, node.eps);
    case 'relu':
      return tf.relu(x);
    case 'maxpool':
      return tf.maxPool(x as Tensor4D, node.size, node.stride, node.pad);
    case 'avgpool':
      return tf.mean(x, [1, 2]);
    case 'linear': {
      const y = tf.matMul(x as Tensor2D, node.weight);
      return node.bias ? tf.add(y, node.bias) : y;
    }
    case 'add':
    case 'sum':
      return tf.add(x, xs[1]!);
  }
}

export interface ForwardResult {
  /** Output of every node some later node reads, plus the graph output, by node name (`input` excluded). */
  activations: Map<string, Tensor>;
  /** The graph output (also in `activations`). */
  output: Tensor;
}

/**
 * Runs the graph and keeps the activations LRP needs: every node output that another node reads,
 * and the network output. A `conv` whose only reader is a `relu` is computed fused with it
 * (`tf.fused.conv2d`, one kernel, as ResNet.forward does) and only the ReLU's output is kept — no
 * rule needs a conv's pre-activation except `epsilon`, which recomputes it. The caller disposes
 * every tensor in `activations` (`disposeActivations`).
 */
export function forwardGraph(graph: LayerGraph, x: Tensor): ForwardResult {
  const readers = consumers(graph);
  const acts = new Map<string, Tensor>();
  const get = (name: string): Tensor => (name === INPUT ? x : acts.get(name)!);
  const fusedInto = new Set<string>();
  try {
    for (let k = 0; k < graph.nodes.length; k++) {
      const node = graph.nodes[k]!;
      if (fusedInto.has(node.name)) continue;
      const r = readers.get(node.name)!;
      if (node.type === 'conv' && r.length === 1 && r[0]!.type === 'relu' && node.name !== graph.output) {
        const relu = r[0]!;
        const y = tf.tidy(() =>
          tf.fused.conv2d({
            x: get(node.inputs[0]!) as Tensor4D,
            filter: node.weight,
            strides: node.stride,
            pad: node.pad,
            bias: node.bias ?? undefined,
            activation: 'relu',
          }),
        );
        acts.set(relu.name, y);
        fusedInto.add(relu.name);
        continue;
      }
      const y = tf.tidy(() => layerForward(node, node.inputs.map(get)));
      acts.set(node.name, y);
    }
  } catch (e) {
    tf.dispose([...acts.values()]);
    throw e;
  }
  // A conv fused with its ReLU has no stored output of its own; nothing reads it but the ReLU.
  return { activations: acts, output: acts.get(graph.output)! };
}

export function disposeActivations(f: ForwardResult): void {
  tf.dispose([...f.activations.values()]);
}

/** The graph output only, all intermediate tensors freed. */
export function runGraph(graph: LayerGraph, x: Tensor): Tensor {
  const f = forwardGraph(graph, x);
  const out = f.output;
  f.activations.delete(graph.output);
  disposeActivations(f);
  return out;
}

/**
 * The raw graph of a FundusLab ResNet (eval mode), with torchvision module names: `conv1`, `bn1`,
 * `relu`, `maxpool`, per block `<block>.conv1`, `<block>.bn1`, `<block>.relu1`, … (the last conv/bn
 * of a branch has no ReLU), `<block>.downsample.0` / `.1`, the functional `<block>.add` and
 * `<block>.relu`, then `avgpool` and `fc`. It references the model's variables (owns nothing).
 */
export function resnetGraph(model: ResNet): LayerGraph {
  const { stem, stages, fc } = model.layout;
  const v = (name: string) => model.variable(name);
  const nodes: LayerNode[] = [];
  const conv = (c: { name: string; stride: number; pad: number }, input: string): string => {
    nodes.push({
      type: 'conv',
      name: c.name,
      inputs: [input],
      weight: v(`${c.name}.weight`) as Tensor4D,
      bias: null,
      stride: c.stride,
      pad: c.pad,
    });
    return c.name;
  };
  const bn = (name: string, input: string): string => {
    nodes.push({
      type: 'bn',
      name,
      inputs: [input],
      gamma: v(`${name}.weight`) as Tensor1D,
      beta: v(`${name}.bias`) as Tensor1D,
      mean: v(`${name}.running_mean`) as Tensor1D,
      variance: v(`${name}.running_var`) as Tensor1D,
      eps: BN_EPS,
    });
    return name;
  };
  const relu = (name: string, input: string): string => {
    nodes.push({ type: 'relu', name, inputs: [input] });
    return name;
  };
  let h = relu('relu', bn(stem.bn.name, conv(stem.conv, INPUT)));
  nodes.push({ type: 'maxpool', name: 'maxpool', inputs: [h], size: 3, stride: 2, pad: 1 });
  h = 'maxpool';
  for (const stage of stages) {
    for (const block of stage.blocks) {
      const identity = block.downsample ? bn(block.downsample.bn.name, conv(block.downsample.conv, h)) : h;
      let out = h;
      block.convs.forEach(({ conv: c, bn: b }, i) => {
        out = bn(b.name, conv(c, out));
        if (i < block.convs.length - 1) out = relu(`${block.name}.relu${i + 1}`, out);
      });
      nodes.push({ type: 'add', name: `${block.name}.add`, inputs: [out, identity] });
      h = relu(`${block.name}.relu`, `${block.name}.add`);
    }
  }
  nodes.push({ type: 'avgpool', name: 'avgpool', inputs: [h] });
  nodes.push({
    type: 'linear',
    name: fc.name,
    inputs: ['avgpool'],
    weight: v(`${fc.name}.weight`) as Tensor2D,
    bias: v(`${fc.name}.bias`) as Tensor1D,
  });
  const graph: LayerGraph = { nodes, output: fc.name, owned: [], canonizers: [] };
  validateGraph(graph);
  return graph;
}
