/**
 * The augmentation worker thread's code (augment-pool.ts embeds it as a string): receives a chunk
 * of a decoded batch and the sampled parameters of each view, answers with the augmented views
 * (their buffers transferred, not copied), or with the error's message.
 */
import { parentPort } from 'node:worker_threads';
import { applyAugParams, type ImageAugParams } from './cpu';

export interface AugmentRequest {
  id: number;
  pixels: Float32Array;
  n: number;
  size: number;
  outSize: number;
  /** Per view: the parameters of this chunk's images, and of the whole batch (its batch-level choices). */
  views: { params: ImageAugParams[]; batch: ImageAugParams[] }[];
}

export type AugmentReply = { id: number; views: Float32Array[] } | { id: number; error: string };

parentPort!.on('message', (req: AugmentRequest) => {
  let reply: AugmentReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const x = { data: req.pixels, n: req.n, h: req.size, w: req.size, c: 3 };
    const views = req.views.map((v) => applyAugParams(x, v.params, req.outSize, v.batch).data);
    reply = { id: req.id, views };
    transfer = views.map((v) => v.buffer as ArrayBuffer);
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
