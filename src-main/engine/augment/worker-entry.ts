/**
 * The augmentation worker thread's code (augment-pool.ts embeds it as a string): receives a chunk
 * of a decoded batch and the sampled parameters of each view, answers with the augmented views
 * (their buffers transferred, not copied), or with the error's message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { applyAugParams, useNativeAugment, type AugmentNative, type ImageAugParams } from './cpu';

/** What the pool passes each worker: the native addon's path when the main thread uses it (null: none). */
export interface AugmentWorkerData {
  nativeAddon: string | null;
}

// The native loops (aug.c) when the addon is there; if it cannot be loaded here, the JavaScript
// loops run: the same values, slower.
let native = false;
const addon = (workerData as AugmentWorkerData | undefined)?.nativeAddon;
if (addon) {
  try {
    const module = { exports: {} as AugmentNative };
    process.dlopen(module, addon);
    useNativeAugment(module.exports);
    native = true;
  } catch {
    useNativeAugment(null);
  }
}

export interface AugmentRequest {
  id: number;
  pixels: Float32Array;
  n: number;
  size: number;
  outSize: number;
  /** Per view: the parameters of this chunk's images, and of the whole batch (its batch-level choices). */
  views: { params: ImageAugParams[]; batch: ImageAugParams[] }[];
}

/** `native`: whether the native loops (aug.c) augmented the views. */
export type AugmentReply = { id: number; views: Float32Array[]; native: boolean } | { id: number; error: string };

parentPort!.on('message', (req: AugmentRequest) => {
  let reply: AugmentReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const x = { data: req.pixels, n: req.n, h: req.size, w: req.size, c: 3 };
    const views = req.views.map((v) => applyAugParams(x, v.params, req.outSize, v.batch).data);
    reply = { id: req.id, views, native };
    transfer = views.map((v) => v.buffer as ArrayBuffer);
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
