/**
 * The LRP backward pass over a (canonized) layer graph.
 *
 * 1. Forward: every activation a rule reads is kept (graph.ts forwardGraph; conv+ReLU fused).
 * 2. Start: the relevance at the network output is a matrix R⁰ [N, classes] (`startRelevance`): for
 *    image n and its set of chosen output neurons S_n (logits), R⁰[n, c] = 1 (`value: 'unit'`, default:
 *    Zennit's one-hot convention) or z_c, the logit's value (`value: 'logit'`: R = f(x), relevance in
 *    logit units) for c ∈ S_n, and 0 otherwise. With S_n = {true grade} this explains the true grade's
 *    logit; with S_n = the referable grades (e.g. {3, 4}) the referable-group sum of the *logits*
 *    (not of the probabilities), g(x) = Σ_{c∈S} z_c(x). Every rule is linear in the relevance, so a
 *    'logit' heatmap is the 'unit' heatmap of each class scaled by its logit, and a group heatmap is
 *    the sum of its classes' heatmaps. Hence 'unit' and 'logit' give the same RMA/RRA for a single
 *    class with a positive logit; a negative logit flips the sign of the whole heatmap (positive
 *    evidence becomes negative relevance, which `sum,pos` discards) — why 'unit' is the default.
 * 3. Backward: the nodes in reverse order; each maps the relevance at its output to its inputs with
 *    its rule (rules.ts, chosen by the composite); relevance reaching a node from several readers
 *    (a block input feeds the branch and the shortcut) is summed. Each step runs in its own tidy and
 *    an activation is freed as soon as its node is done, so memory stays at about one forward pass.
 * Output: relevance per input element [N, H, W, 3]; its sum per image equals Σ R⁰ up to what the
 * biases absorb (α1β0 gives the share b⁺/z⁺ to the bias) and the stabiliser.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { assignRules, type Composite } from './composite';
import { forwardGraph, INPUT, nonNegativeOutputs, type LayerGraph, type LayerNode } from './graph';
import { DEFAULT_STABILIZER, ruleBackward, type ParamCache, type Rule } from './rules';

export type StartValue = 'logit' | 'unit';

/** R⁰[n, c] = 1 (or the logit) for the chosen classes of image n, 0 elsewhere. */
export function startRelevance(logits: Tensor2D, classes: readonly (readonly number[])[], value: StartValue = 'unit'): Tensor2D {
  const [n, k] = logits.shape;
  if (classes.length !== n) throw new AppError('BAD_REQUEST', `LRP start: ${classes.length} class sets for ${n} images`);
  const mask = new Float32Array(n * k);
  classes.forEach((set, i) => {
    if (set.length === 0) throw new AppError('BAD_REQUEST', `LRP start: image ${i} has no class to explain`);
    for (const c of set) {
      if (!Number.isInteger(c) || c < 0 || c >= k)
        throw new AppError('BAD_REQUEST', `LRP start: class ${c} of image ${i} is not one of the model's ${k} outputs`);
      mask[i * k + c] = 1;
    }
  });
  return tf.tidy(() => {
    const m = tf.tensor2d(mask, [n, k]);
    return value === 'unit' ? m : (tf.where(tf.greater(m, 0), logits, tf.zerosLike(logits)) as Tensor2D);
  });
}

export interface ExplainResult {
  /** Relevance of every input element [N, H, W, C]. */
  relevance: Tensor4D;
  /** The network output (logits) [N, classes]. */
  logits: Tensor2D;
  /** The starting relevance R⁰ [N, classes]. */
  start: Tensor2D;
}

/**
 * Sees each layer's step of the backward pass: the layer's input activations, the relevance at its
 * output and at each of its inputs (valid only during the call; do not dispose them). For
 * diagnostics and per-layer conservation tests.
 */
export type LayerObserver = (
  node: LayerNode,
  step: { inputs: readonly Tensor[]; relevanceOut: Tensor; relevanceIn: readonly Tensor[] },
) => void;

export interface ExplainerOptions {
  /** ε of the stabiliser (default 1e-6). */
  stabilizer?: number;
}

/**
 * Explains a canonized graph with a composite. Reusable across batches: the rules' derived
 * parameters (W⁺, W⁻, …) are computed once and kept until dispose(). The graph is not owned.
 */
export class Explainer {
  readonly rules: readonly Rule[];
  private readonly nonNeg: Set<string>;
  private readonly params = new Map<string, Tensor>();
  private readonly stabilizer: number;
  private disposed = false;

  constructor(
    readonly graph: LayerGraph,
    readonly composite: Composite,
    opts: ExplainerOptions = {},
  ) {
    this.rules = assignRules(graph, composite);
    this.nonNeg = nonNegativeOutputs(graph);
    this.stabilizer = opts.stabilizer ?? DEFAULT_STABILIZER;
    if (!(this.stabilizer > 0)) throw new AppError('BAD_REQUEST', `LRP stabiliser must be > 0 (got ${this.stabilizer})`);
  }

  /**
   * Relevance of the input `x` for the starting relevance `start(logits)` (e.g.
   * `(z) => startRelevance(z, classes)`). The caller disposes the three result tensors; `x` is not
   * disposed.
   */
  explain(x: Tensor4D, start: (logits: Tensor2D) => Tensor2D, observe?: LayerObserver): ExplainResult {
    if (this.disposed) throw new AppError('INTERNAL', 'Explainer was disposed');
    const { graph, rules } = this;
    const f = forwardGraph(graph, x);
    const acts = f.activations;
    const logits = f.output as Tensor2D;
    const relevance = new Map<string, Tensor>();
    const cache: ParamCache = {
      get: (key, make) => {
        let t = this.params.get(key);
        if (!t) {
          t = tf.keep(make());
          this.params.set(key, t);
        }
        return t;
      },
    };
    let R0: Tensor2D | undefined;
    try {
      R0 = tf.tidy(() => start(logits));
      if (R0.shape.join() !== logits.shape.join())
        throw new AppError('INTERNAL', `LRP start relevance has shape [${R0.shape}], the output [${logits.shape}]`);
      relevance.set(graph.output, tf.clone(R0));
      const get = (name: string): Tensor => (name === INPUT ? x : acts.get(name)!);
      for (let k = graph.nodes.length - 1; k >= 0; k--) {
        const node = graph.nodes[k]!;
        const r = relevance.get(node.name);
        relevance.delete(node.name);
        if (r) {
          const inputs = node.inputs.map(get);
          const output = acts.get(node.name);
          const opts = { stabilizer: this.stabilizer, nonNegativeInput: node.inputs.length === 1 && this.nonNeg.has(node.inputs[0]!) };
          let parts: Tensor[] = [];
          try {
            parts = tf.tidy(() => ruleBackward(rules[k]!, node, inputs, output, r, opts, cache));
            observe?.(node, { inputs, relevanceOut: r, relevanceIn: parts });
          } catch (e) {
            tf.dispose(parts);
            throw e;
          } finally {
            r.dispose();
          }
          node.inputs.forEach((name, i) => {
            const prev = relevance.get(name);
            const part = parts[i]!;
            if (prev) {
              relevance.set(name, tf.add(prev, part));
              tf.dispose([prev, part]);
            } else relevance.set(name, part);
          });
        }
        // Every reader of this node's output comes later in the order and is done: free it.
        const own = acts.get(node.name);
        if (own && own !== logits) {
          own.dispose();
          acts.delete(node.name);
        }
      }
    } catch (e) {
      tf.dispose([...acts.values(), ...relevance.values(), ...(R0 ? [R0] : [])]);
      throw e;
    }
    tf.dispose([...acts.values()].filter((t) => t !== logits));
    const rel = relevance.get(INPUT);
    relevance.delete(INPUT);
    tf.dispose([...relevance.values()]);
    if (!rel) {
      tf.dispose([logits, R0!]);
      throw new AppError('INTERNAL', 'LRP: no relevance reached the input');
    }
    return { relevance: rel as Tensor4D, logits, start: R0! };
  }

  dispose(): void {
    if (this.disposed) return;
    tf.dispose([...this.params.values()]);
    this.params.clear();
    this.disposed = true;
  }
}
