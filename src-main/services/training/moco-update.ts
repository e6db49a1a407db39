/**
 * The MoCo v2 modules of a pretraining and the update of one step on already augmented and
 * normalised views (facebookresearch/moco builder.py `forward` + main_moco.py's optimizer step):
 * momentum update of the key encoder → key features → query features → InfoNCE → optimizer step →
 * Acc@1 → enqueue of the keys. pretrain.ts builds the views and drives the epochs; the golden test
 * (test/golden/moco) runs this update against PyTorch.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor4D, Tensor2D, Variable } from '@tensorflow/tfjs';
import type { TrainingSpec } from '../../../src-shared/training';
import { GRADES } from '../../engine/loss';
import { MocoQueue, ProjectionHead, contrastiveHits, infoNCE, momentumUpdate } from '../../engine/moco/moco';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { AdamW, namedGradients } from '../../engine/optim/adamw';
import { Sgd } from '../../engine/optim/sgd';
import { hashSeeds } from '../../random/streams';
import type { MocoModules } from './pretrain-checkpoint';

/** The MoCo v2 modules with the variables the steps work on. */
export interface Moco extends MocoModules {
  /** The query encoder's backbone and projection head: what the optimizer trains. */
  queryVars: Map<string, Variable>;
  /** The key encoder's, updated as a momentum average of the query's. */
  keyVars: Map<string, Variable>;
}

/** Builds the query and key encoders (with projection heads), the queue of keys and the query's optimizer, seeded from the spec. */
export function createMoco(spec: TrainingSpec, queueSize: number): Moco {
  const m = spec.moco;
  const config = parseArch(spec.arch, GRADES);
  const query = ResNet.create(config, { seed: spec.seed });
  const key = ResNet.create(config, { seed: spec.seed });
  const features = query.layout.fc.inFeatures;
  const hidden = m.mlpHidden === 'auto' ? features : m.mlpHidden;
  const headQ = new ProjectionHead(features, hidden, m.dim, hashSeeds(spec.seed, 0x68656164));
  const headK = new ProjectionHead(features, hidden, m.dim, hashSeeds(spec.seed, 0x68656164));
  const queue = new MocoQueue(queueSize, m.dim, hashSeeds(spec.seed, 0x71756575));
  const queryVars = encoderVariables(query, headQ);
  const keyVars = encoderVariables(key, headK);
  const optimizer =
    m.optimizer === 'sgd'
      ? new Sgd(queryVars, { lr: m.lr, momentum: m.sgdMomentum, weightDecay: m.weightDecay })
      : new AdamW(queryVars, { lr: m.lr, weightDecay: m.weightDecay });
  return { query, key, headQ, headK, queue, queryVars, keyVars, optimizer };
}

/**
 * θk ← θq for every parameter of the key encoder and head (the official init copies the query
 * encoder); the key's BatchNorm running statistics stay its own.
 */
export function initialiseKeyEncoder(moco: Moco): void {
  momentumUpdate(moco.keyVars, moco.queryVars, 0);
}

/** Disposes every module of `createMoco`. */
export function disposeMoco(moco: Moco): void {
  moco.optimizer.dispose();
  moco.queue.dispose();
  moco.headQ.dispose();
  moco.headK.dispose();
  moco.query.dispose();
  moco.key.dispose();
}

/**
 * One MoCo v2 update on a batch of query views `xq` and key views `xk` (augmented and normalised,
 * [N, S, S, 3]): momentum update of the key encoder, InfoNCE, optimizer step on the query encoder
 * and head (at the optimizer's current learning rate), enqueue of the keys. Returns the loss and the
 * Acc@1 hits of the contrastive task (tensors the caller disposes).
 */
export function mocoUpdate(
  moco: Moco,
  xq: Tensor4D,
  xk: Tensor4D,
  o: { momentum: number; temperature: number },
): { loss: Scalar; hits: Scalar } {
  const { query, key, headQ, headK, queue, queryVars, keyVars, optimizer } = moco;
  return tf.tidy(() => {
    momentumUpdate(keyVars, queryVars, o.momentum);
    const k = headK.forward(key.forward(xk, { training: true, features: true }));
    let q: Tensor2D | null = null;
    const { value, grads } = namedGradients(queryVars, () => {
      q = tf.keep(headQ.forward(query.forward(xq, { training: true, features: true })));
      return infoNCE(q, k, queue, o.temperature);
    });
    optimizer.step(grads);
    // Acc@1 of the contrastive task (logits before this step's enqueue, as the official code);
    // a tie with a negative counts as a miss (a collapsed encoder must not score 100%).
    const hits = contrastiveHits(q!, k, queue, o.temperature);
    (q as Tensor2D | null)?.dispose(); // kept past the gradient scope for Acc@1
    queue.enqueue(k);
    return { loss: value, hits };
  });
}

/** Trainable backbone variables without the classifier fc, plus the projection head (`fc.0.*`, `fc.2.*`). */
function encoderVariables(model: ResNet, head: ProjectionHead): Map<string, Variable> {
  const out = new Map<string, Variable>();
  for (const [name, v] of model.trainableVariables()) if (name !== 'fc.weight' && name !== 'fc.bias') out.set(name, v);
  for (const [name, v] of head.trainableVariables()) out.set(name, v);
  return out;
}
