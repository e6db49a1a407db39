/**
 * Composites (Zennit's term): which rule each layer of a graph gets, as an ordered list of
 * (layer matcher, rule) entries; the first entry whose matcher fits a layer wins. A matcher names
 * layer types, layer names (exact strings or regular expressions over torchvision names) and/or
 * `first: true` — the first layer of the network, i.e. the first `conv` or `linear` in forward
 * order (Zennit's SpecialFirstLayerMapComposite). Layers no entry matches use the Gradient rule, as
 * in Zennit; a functional `add` always does (it is no layer; the residual canonizer turns it into a
 * `sum`, which composites can map).
 *
 * `lrpComposite(options)` is FundusLab's LRP-α1β0 composite (docs/design.md "LRP α1β0"):
 *   first layer           AlphaBeta(1, 0) | ZBox(low, high) | Flat          (options.firstLayer; default α1β0)
 *   relu                  Pass
 *   sum (residual)        Norm: in proportion to each input's contribution   (options.sum; or AlphaBeta(1, 0))
 *   avgpool               Norm: in proportion to each input's contribution
 *   maxpool               Gradient = winner-take-all | Norm = proportional   (options.maxPool; default winner-take-all)
 *   conv, linear          AlphaBeta(1, 0)
 * With proportional (signed) residual sums a branch whose contribution is negative receives negative
 * relevance, and where such a conv output has no positive contribution (z⁺ = 0) α1β0 cannot pass its
 * relevance on (test/unit/lrp/conservation.test.ts: none lost at full width, 3.8% of the start on a
 * random resnet50-w8 with 8-channel bottlenecks). `sum: 'alpha-beta'` keeps every relevance ≥ 0 and
 * conserved.
 */
import { AppError } from '../../../src-shared/errors';
import type { LayerGraph, LayerNode, LayerType } from './graph';
import { AlphaBeta, assertRuleFits, describeRule, Flat, Gradient, Norm, Pass, ZBox, type Rule } from './rules';

export interface LayerMatch {
  types?: readonly LayerType[];
  names?: readonly (string | RegExp)[];
  /** Only the first conv/linear layer of the network. */
  first?: boolean;
}

export interface CompositeEntry {
  match: LayerMatch;
  rule: Rule;
}

export interface Composite {
  name: string;
  entries: readonly CompositeEntry[];
}

export function matches(m: LayerMatch, node: LayerNode, isFirst: boolean): boolean {
  if (m.first && !isFirst) return false;
  if (m.types && !m.types.includes(node.type)) return false;
  if (m.names && !m.names.some((n) => (typeof n === 'string' ? n === node.name : n.test(node.name)))) return false;
  return true;
}

/** Name of the first conv/linear layer in forward order, or null. */
export function firstLayerName(graph: LayerGraph): string | null {
  return graph.nodes.find((n) => n.type === 'conv' || n.type === 'linear')?.name ?? null;
}

/** The rule of every node of the graph (same order), checked to fit its layer type. */
export function assignRules(graph: LayerGraph, composite: Composite): Rule[] {
  const first = firstLayerName(graph);
  return graph.nodes.map((node) => {
    if (node.type === 'add') return Gradient();
    const entry = composite.entries.find((e) => matches(e.match, node, node.name === first));
    const rule = entry?.rule ?? Gradient();
    assertRuleFits(rule, node);
    return rule;
  });
}

/** `layer → rule` lines, for logs and result files. */
export function describeAssignment(graph: LayerGraph, composite: Composite): { layer: string; type: LayerType; rule: string }[] {
  const rules = assignRules(graph, composite);
  return graph.nodes.map((n, i) => ({ layer: n.name, type: n.type, rule: describeRule(rules[i]!) }));
}

export type FirstLayerRule = 'alpha-beta' | 'zbox' | 'flat';
export type MaxPoolRule = 'winner-take-all' | 'proportional';
export type SumRule = 'proportional' | 'alpha-beta';

export interface LrpCompositeOptions {
  /** Rule of the first layer (conv1): α1β0 (default), zᴮ with the input bounds, or flat. */
  firstLayer?: FirstLayerRule;
  /** Max pooling: winner-take-all (its gradient, default) or proportional to the window's inputs. */
  maxPool?: MaxPoolRule;
  /** Residual sums: proportional to each input's (signed) contribution (Zennit's Norm, default) or α1β0 (positive parts only). */
  sum?: SumRule;
  /** Per-channel input bounds (required for zbox): for normalised inputs (0 − mean)/std and (1 − mean)/std. */
  bounds?: { low: readonly number[]; high: readonly number[] };
}

/** The input bounds of images in [0, 1] after (x − mean)/std: low = −mean/std, high = (1 − mean)/std per channel. */
export function normalisedBounds(mean: readonly number[], std: readonly number[]): { low: number[]; high: number[] } {
  return { low: mean.map((m, c) => (0 - m) / std[c]!), high: mean.map((m, c) => (1 - m) / std[c]!) };
}

export function lrpComposite(opts: LrpCompositeOptions = {}): Composite {
  const firstLayer = opts.firstLayer ?? 'alpha-beta';
  let first: Rule;
  if (firstLayer === 'zbox') {
    if (!opts.bounds)
      throw new AppError('BAD_REQUEST', 'The zB first-layer rule needs the input bounds (low/high per channel)', [
        { path: 'composite.bounds', message: 'required for zbox' },
      ]);
    first = ZBox(opts.bounds.low, opts.bounds.high);
  } else first = firstLayer === 'flat' ? Flat() : AlphaBeta(1, 0);
  const maxPool = opts.maxPool ?? 'winner-take-all';
  const sum = opts.sum ?? 'proportional';
  return {
    name: `lrp-a1b0 (first ${firstLayer}, maxpool ${maxPool}, sum ${sum})`,
    entries: [
      { match: { first: true, types: ['conv', 'linear'] }, rule: first },
      { match: { types: ['relu'] }, rule: Pass() },
      { match: { types: ['sum'] }, rule: sum === 'proportional' ? Norm() : AlphaBeta(1, 0) },
      { match: { types: ['avgpool'] }, rule: Norm() },
      { match: { types: ['maxpool'] }, rule: maxPool === 'proportional' ? Norm() : Gradient() },
      { match: { types: ['conv', 'linear'] }, rule: AlphaBeta(1, 0) },
    ],
  };
}
