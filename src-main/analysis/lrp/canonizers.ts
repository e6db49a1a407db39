/**
 * Canonizers (Zennit's term): rewrites of a network into an equivalent form on which the LRP rules
 * are well defined, applied before explaining. Each one maps a graph to a *new* graph that computes
 * the same function; the source graph and the model's variables are never modified, so undoing a
 * canonizer is dropping its graph (`disposeGraph` frees the tensors it made). That is the
 * reversibility Zennit obtains by restoring module attributes after the attribution.
 *
 * - `mergeBatchNorm`: every `bn` whose only input is a `conv` read by nothing else is merged into
 *   that conv: W' = W·γ/√(σ² + ε) (per output channel), b' = (b − μ)·γ/√(σ² + ε) + β (b = 0 when the
 *   conv has no bias). The conv keeps its name, the bn disappears (its readers read the conv). A
 *   BatchNorm without such a conv is left alone (and then has no rule in the default composite).
 * - `residualSum`: every functional `add` becomes an explicit `sum` layer (same name, same inputs),
 *   so a composite can give residual additions their own rule (default: relevance in proportion to
 *   each input's contribution, `Norm`). Without it, relevance would flow through the addition by its
 *   gradient and each branch would receive the full relevance (double counting).
 *
 * `RESNET_CANONIZERS` = [mergeBatchNorm, residualSum]: what explaining a ResNet applies.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { consumers, validateGraph, type BnNode, type ConvNode, type LayerGraph, type LayerNode } from './graph';

export interface Canonizer {
  readonly name: string;
  /**
   * A new graph computing the same function; `graph` is not modified. The new graph's `owned` lists
   * only the tensors this canonizer made (it may share `graph`'s other tensors).
   */
  apply(graph: LayerGraph): LayerGraph;
}

/** The merged filter and bias of conv→bn (see the module comment). Returns new tensors. */
export function mergeConvBn(
  conv: Pick<ConvNode, 'weight' | 'bias'>,
  bn: Pick<BnNode, 'gamma' | 'beta' | 'mean' | 'variance' | 'eps'>,
): { weight: Tensor4D; bias: Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.div(bn.gamma, tf.sqrt(tf.add(bn.variance, bn.eps))) as Tensor1D;
    const weight = tf.mul(conv.weight, scale) as Tensor4D; // broadcasts over the last (output-channel) axis
    const shifted = conv.bias ? tf.sub(conv.bias, bn.mean) : tf.neg(bn.mean);
    const bias = tf.add(tf.mul(shifted, scale), bn.beta) as Tensor1D;
    return { weight, bias };
  });
}

export const mergeBatchNorm: Canonizer = {
  name: 'merge-batchnorm',
  apply(graph) {
    const readers = consumers(graph);
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    const owned: Tensor[] = [];
    const renamed = new Map<string, string>(); // bn name → conv name
    const merged = new Map<string, ConvNode>(); // conv name → merged conv
    for (const node of graph.nodes) {
      if (node.type !== 'bn') continue;
      const src = byName.get(node.inputs[0]!);
      if (!src || src.type !== 'conv' || readers.get(src.name)!.length !== 1 || src.name === graph.output) continue;
      const { weight, bias } = mergeConvBn(src, node);
      owned.push(weight, bias);
      merged.set(src.name, { ...src, weight, bias });
      renamed.set(node.name, src.name);
    }
    const rename = (n: string) => renamed.get(n) ?? n;
    const nodes: LayerNode[] = [];
    for (const node of graph.nodes) {
      if (renamed.has(node.name)) continue;
      const base = merged.get(node.name) ?? node;
      nodes.push({ ...base, inputs: base.inputs.map(rename) } as LayerNode);
    }
    const out: LayerGraph = { nodes, output: rename(graph.output), owned, canonizers: [...graph.canonizers, this.name] };
    validateGraph(out);
    return out;
  },
};

export const residualSum: Canonizer = {
  name: 'residual-sum',
  apply(graph) {
    const nodes = graph.nodes.map((n): LayerNode => (n.type === 'add' ? { type: 'sum', name: n.name, inputs: [...n.inputs] } : n));
    return { nodes, output: graph.output, owned: [], canonizers: [...graph.canonizers, this.name] };
  },
};

export const RESNET_CANONIZERS: readonly Canonizer[] = [mergeBatchNorm, residualSum];

/**
 * Applies canonizers in order. The returned graph owns every tensor made along the way (dispose it
 * with disposeGraph) but none of the source graph's; the source graph stays valid and unchanged.
 */
export function canonize(graph: LayerGraph, canonizers: readonly Canonizer[] = RESNET_CANONIZERS): LayerGraph {
  let g = graph;
  const owned: Tensor[] = [];
  for (const c of canonizers) {
    g = c.apply(g);
    owned.push(...g.owned);
  }
  return { ...g, owned };
}
