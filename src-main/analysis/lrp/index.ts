/**
 * LRP-α1β0 explanations of FundusLab's ResNets (docs/design.md "LRP α1β0"), designed like Zennit:
 * rules as data (rules.ts), a composite mapping layers to rules (composite.ts), reversible
 * canonizers applied before explaining (canonizers.ts), the backward pass (explain.ts) on an
 * explicit layer graph (graph.ts).
 *
 *   const lrp = resnetExplainer(model, { firstLayer: 'alpha-beta', maxPool: 'winner-take-all' });
 *   const { relevance, logits, start } = lrp.explainer.explain(x, (z) => startRelevance(z, classes));
 *   …; tf.dispose([relevance, logits, start]); lrp.dispose();
 *
 * Works for any depth/width and for imported or trained weights: it reads the model's variables at
 * construction (BatchNorm running statistics included); the model itself is never modified.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { ResNet } from '../../engine/models/resnet';
import { canonize, RESNET_CANONIZERS } from './canonizers';
import { lrpComposite, type Composite, type LrpCompositeOptions } from './composite';
import { Explainer } from './explain';
import { disposeGraph, resnetGraph, type LayerGraph } from './graph';
import type { Pooling } from './rma-rra';

export * from './canonizers';
export * from './composite';
export * from './explain';
export * from './graph';
export * from './rules';

export interface ResNetExplainer {
  explainer: Explainer;
  /** The canonized graph (BatchNorm merged, residual sums explicit). */
  graph: LayerGraph;
  composite: Composite;
  /** Frees the merged filters and the rules' cached parameters (not the model). */
  dispose(): void;
}

export interface ResNetExplainerOptions extends LrpCompositeOptions {
  /** A composite to use instead of lrpComposite(options). */
  composite?: Composite;
  stabilizer?: number;
}

export function resnetExplainer(model: ResNet, opts: ResNetExplainerOptions = {}): ResNetExplainer {
  const graph = canonize(resnetGraph(model), RESNET_CANONIZERS);
  try {
    const composite = opts.composite ?? lrpComposite(opts);
    const explainer = new Explainer(graph, composite, opts.stabilizer !== undefined ? { stabilizer: opts.stabilizer } : {});
    return {
      explainer,
      graph,
      composite,
      dispose() {
        explainer.dispose();
        disposeGraph(graph);
      },
    };
  } catch (e) {
    disposeGraph(graph);
    throw e;
  }
}

/**
 * Pools relevance [N, H, W, C] over channels to [N, H, W] (definitions in rma-rra.ts, after CLEVR-XAI):
 * `sum,pos` max(Σ_c R, 0); `sum,abs` |Σ_c R|; `max-norm` max_c |R|; `l2-norm,sq` Σ_c R²; and
 * `sum` Σ_c R (signed: the usual LRP heatmap, not a CLEVR-XAI pooling).
 */
export function poolRelevance(relevance: Tensor4D, pooling: Pooling | 'sum'): Tensor3D {
  return tf.tidy(() => {
    switch (pooling) {
      case 'sum':
        return tf.sum(relevance, 3);
      case 'sum,pos':
        return tf.relu(tf.sum(relevance, 3));
      case 'sum,abs':
        return tf.abs(tf.sum(relevance, 3));
      case 'max-norm':
        return tf.max(tf.abs(relevance), 3);
      case 'l2-norm,sq':
        return tf.sum(tf.square(relevance), 3);
      default:
        throw new AppError('BAD_REQUEST', `Unknown pooling "${String(pooling)}"`);
    }
  }) as Tensor3D;
}
