/**
 * Activation capture for the spectra (docs/design.md "Condition number"): for every Conv, BatchNorm and
 * Linear layer of a ResNet, the N×N Gram matrix of its per-feature standardised, flattened
 * activations over N images, with memory bounded independently of the layer size.
 *
 * Why this method. Standardising a feature needs its mean and std over all N images, and every
 * entry G_ij = Σ_f z_if·z_jf pairs two images, so an image-by-image stream cannot form G exactly
 * (X D⁻²Xᵀ needs D before the products, and pairs of images from different batches are never in
 * memory together). Instead the activations are transposed into feature blocks: while image
 * batches run forward, each captured layer's output is written into per-layer block storage in
 * which block b holds all N images × `blockFeatures` features (contiguous). Then, per block, the
 * feature statistics are exact (all N values at hand; gram.ts) and the block's Z_B Z_Bᵀ is added
 * to G. Memory while computing G is one block (N × blockFeatures floats) plus G (N² float64; two or
 * three such for a conv whose BatchNorm Gram is derived from it, see below).
 *
 * The block storage of the layers being captured is bounded by `budgetBytes`: the layers are split,
 * in the order the forward pass meets them, into groups whose storage fits the budget (a single
 * layer larger than the budget forms a group of its own), and each group gets its own forward
 * pass over the images, cut short after the group's last layer (the hook throws a sentinel that
 * tf.tidy cleans up after). With `scratchDir` the storage is one file per layer on disk (positioned
 * writes and reads; deleted after use) unless the group fits `memoryBytes`, else it is in memory.
 * One group (one forward pass) is the common case; a larger N or model only adds passes, never
 * memory.
 *
 * The forward pass runs in eval mode with a hook (src-main/engine/models/resnet.ts), which turns
 * BatchNorm folding off: each conv and each BatchNorm output is seen separately. Features are the
 * NHWC flattening of an image's output (PyTorch flattens NCHW; the Gram, and so every eigenvalue,
 * does not depend on the order of the features).
 *
 * BatchNorm from its conv (`bnFromConv`, default on; `batchNormDerivations`). In eval mode a
 * BatchNorm applies to its conv's output x, per channel c, the affine map
 * y = s_c·(x − m_c) + β_c with s_c = γ_c/√(σ²_c + ε) (running statistics m, σ²). For s_c ≠ 0 the
 * mean of y over the images is s_c·(mean x − m_c) + β_c and its std |s_c|·std x, so each standardised
 * BN feature is sign(s_c) × the standardised conv feature, and it is constant exactly when the conv
 * feature is; for s_c = 0 (γ_c = 0) the BN feature is the constant β_c. Hence, with z the
 * standardised conv features, G_BN = Σ_{f: γ_c(f) ≠ 0} z_f z_fᵀ (sign² = 1) and
 * G_conv = G_BN + Σ_{f: γ_c(f) = 0} z_f z_fᵀ: the conv's blocks are standardised and multiplied
 * once, with the γ = 0 channels' columns summed apart (gram.ts `accumulateBlock`, no subtraction),
 * and the BN's constant features are the conv's plus its non-constant features of γ = 0 channels.
 * The BatchNorm outputs are then neither copied nor stored (half the activations). This is the
 * spectrum of the BatchNorm's exact output; capturing its float32 output instead (`bnFromConv:
 * false`) differs by that output's rounding, ≤ 2⁻²⁴·|y| per value, i.e. by ≤ 2⁻²⁴·|y|/std(y) in a
 * standardised value (test/unit/spectra/capture.test.ts compares both). A BatchNorm is captured
 * directly when its conv is not among the layers or a scale s_c is not finite or is nonzero but
 * below 1e-30 in magnitude (where s_c·x could underflow in float32).
 */
import { closeSync, openSync, readSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { ResNet } from '../../engine/models/resnet';
import { BN_EPS, type ConvSpec } from '../../engine/models/resnet-spec';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { accumulateBlock, type GramPrecision } from './gram';

export type SpectrumLayerKind = 'conv' | 'bn' | 'linear';

export interface SpectrumLayer {
  /** torchvision module name (`conv1`, `layer1.0.bn2`, `layer2.0.downsample.0`, `fc`). */
  name: string;
  kind: SpectrumLayerKind;
  /** Output shape of one image: [H, W, C] for conv/bn, [classes] for fc. */
  shape: number[];
  /** Features per image (product of the shape). */
  features: number;
  /** Position in torchvision's module order (state_dict order: downsample after the block's convs). */
  moduleIndex: number;
}

/** Images to analyse: `count` images of `size`×`size`, served normalised as NHWC float32. */
export interface ImageFeed {
  count: number;
  size: number;
  /** Images [start, start + n), normalised, as one [n, size, size, 3] array. */
  batch(start: number, n: number): Promise<Float32Array>;
}

export interface CaptureOptions {
  /** Images per forward pass (default 16). */
  batchSize?: number;
  /** Features per block of the transposed storage (default `defaultBlockFeatures`). */
  blockFeatures?: number;
  /** Bytes of block storage per forward pass (default 4 GiB on disk, 512 MiB in memory). */
  budgetBytes?: number;
  /** Folder for on-disk block storage (created if needed, files removed after use); null: memory. */
  scratchDir?: string | null;
  /** With a scratchDir, groups whose storage fits this many bytes stay in memory anyway (default 0). */
  memoryBytes?: number;
  gramPrecision?: GramPrecision;
  /** BatchNorm Gram matrices from their conv's (see the module comment); default true. */
  bnFromConv?: boolean;
}

export interface LayerGram {
  layer: SpectrumLayer;
  /** G = ZZᵀ, N×N row-major float64. */
  gram: Float64Array;
  /** Features that are constant over the N images (standardised to 0, as StandardScaler does). */
  constantFeatures: number;
}

export interface CaptureTimings {
  /** Reading and normalising images (the feed). */
  dataMs: number;
  /** Forward passes, including copying the captured outputs into block storage. */
  forwardMs: number;
  /** Standardising blocks and accumulating the Gram matrices. */
  gramMs: number;
  forwardPasses: number;
}

const convOut = (size: number, c: ConvSpec): number => Math.floor((size + 2 * c.pad - c.kernel) / c.stride) + 1;

/**
 * The Conv, BatchNorm and Linear layers of `model` at input `inputSize`, in the order the forward
 * hook meets them (a block's downsample before its convs), with output shapes.
 */
export function spectrumLayers(model: ResNet, inputSize: number): SpectrumLayer[] {
  const { stem, stages, fc } = model.layout;
  const hookOrder: Omit<SpectrumLayer, 'moduleIndex'>[] = [];
  const moduleOrder: string[] = [];
  const push = (name: string, kind: SpectrumLayerKind, shape: number[]) =>
    hookOrder.push({ name, kind, shape, features: shape.reduce((a, b) => a * b, 1) });
  let size = convOut(inputSize, stem.conv);
  push(stem.conv.name, 'conv', [size, size, stem.conv.outChannels]);
  push(stem.bn.name, 'bn', [size, size, stem.bn.channels]);
  moduleOrder.push(stem.conv.name, stem.bn.name);
  size = Math.floor((size + 2 - 3) / 2) + 1; // maxpool 3, stride 2, pad 1
  if (size < 1) throw new AppError('BAD_REQUEST', `Input size ${inputSize} is too small for ${model.describe()}`);
  for (const stage of stages) {
    for (const block of stage.blocks) {
      if (block.downsample) {
        const s = convOut(size, block.downsample.conv);
        push(block.downsample.conv.name, 'conv', [s, s, block.downsample.conv.outChannels]);
        push(block.downsample.bn.name, 'bn', [s, s, block.downsample.bn.channels]);
      }
      let s = size;
      for (const { conv, bn } of block.convs) {
        s = convOut(s, conv);
        push(conv.name, 'conv', [s, s, conv.outChannels]);
        push(bn.name, 'bn', [s, s, bn.channels]);
        moduleOrder.push(conv.name, bn.name);
      }
      if (block.downsample) moduleOrder.push(block.downsample.conv.name, block.downsample.bn.name);
      if (s < 1) throw new AppError('BAD_REQUEST', `Input size ${inputSize} is too small for ${model.describe()}`);
      size = s;
    }
  }
  push(fc.name, 'linear', [fc.outFeatures]);
  moduleOrder.push(fc.name);
  const index = new Map(moduleOrder.map((n, i) => [n, i]));
  return hookOrder.map((l) => ({ ...l, moduleIndex: index.get(l.name)! }));
}

/** A BatchNorm whose Gram matrix comes from its conv's (see the module comment). */
export interface BatchNormDerivation {
  bn: SpectrumLayer;
  /** Output channels (the last axis of both layers' NHWC output). */
  channels: number;
  /** 1 for each channel c with γ_c = 0 (s_c = 0). */
  zeroScale: Uint8Array;
}

/** Smallest |s_c| taken as an ordinary nonzero scale (below it s_c·x could underflow in float32). */
const MIN_SCALE = 1e-30;

/**
 * The BatchNorms of `layers` whose Gram matrices can come from their conv's (also in `layers`),
 * keyed by the conv's name: eval-mode scales s_c = γ_c/√(σ²_c + ε) all finite and each either 0 or
 * at least 1e-30 in magnitude.
 */
export async function batchNormDerivations(model: ResNet, layers: readonly SpectrumLayer[]): Promise<Map<string, BatchNormDerivation>> {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const { stem, stages } = model.layout;
  const pairs = [stem, ...stages.flatMap((st) => st.blocks.flatMap((b) => [...(b.downsample ? [b.downsample] : []), ...b.convs]))];
  const out = new Map<string, BatchNormDerivation>();
  for (const { conv, bn } of pairs) {
    const convLayer = byName.get(conv.name);
    const bnLayer = byName.get(bn.name);
    if (!convLayer || !bnLayer || convLayer.features !== bnLayer.features || conv.outChannels !== bn.channels) continue;
    const gamma = await model.variable(`${bn.name}.weight`).data();
    const variance = await model.variable(`${bn.name}.running_var`).data();
    const zeroScale = new Uint8Array(bn.channels);
    let derivable = gamma.length === bn.channels && variance.length === bn.channels;
    for (let c = 0; derivable && c < bn.channels; c++) {
      const scale = gamma[c]! / Math.sqrt(variance[c]! + BN_EPS);
      if (!Number.isFinite(scale) || (scale !== 0 && Math.abs(scale) < MIN_SCALE)) derivable = false;
      else if (scale === 0) zeroScale[c] = 1;
    }
    if (derivable) out.set(conv.name, { bn: bnLayer, channels: bn.channels, zeroScale });
  }
  return out;
}

/** Block storage of one layer: N rows (images) × F features, kept as feature blocks. */
interface BlockStore {
  write(rowStart: number, rows: Float32Array, rowCount: number): void;
  readBlock(b: number): Float32Array;
  dispose(): void;
}

function blockWidth(features: number, block: number, b: number): number {
  return Math.min(block, features - b * block);
}

class MemoryBlockStore implements BlockStore {
  private readonly blocks: Float32Array[];
  constructor(
    private readonly n: number,
    private readonly features: number,
    private readonly block: number,
  ) {
    const count = Math.ceil(features / block);
    this.blocks = Array.from({ length: count }, (_, b) => new Float32Array(n * blockWidth(features, block, b)));
  }
  write(rowStart: number, rows: Float32Array, rowCount: number): void {
    const F = this.features;
    this.blocks.forEach((dst, b) => {
      const w = blockWidth(F, this.block, b);
      const c0 = b * this.block;
      for (let r = 0; r < rowCount; r++) dst.set(rows.subarray(r * F + c0, r * F + c0 + w), (rowStart + r) * w);
    });
  }
  readBlock(b: number): Float32Array {
    return this.blocks[b]!;
  }
  dispose(): void {
    this.blocks.length = 0;
  }
}

/** Block b occupies bytes [b·N·block·4, …) of the layer's file; rows of a batch are one positioned write per block. */
class FileBlockStore implements BlockStore {
  private fd: number | null;
  constructor(
    private readonly file: string,
    private readonly n: number,
    private readonly features: number,
    private readonly block: number,
  ) {
    this.fd = openSync(file, 'w+');
  }
  private handle(): number {
    if (this.fd === null) throw new AppError('INTERNAL', `Block storage ${this.file} was already removed`);
    return this.fd;
  }
  write(rowStart: number, rows: Float32Array, rowCount: number): void {
    const F = this.features;
    const count = Math.ceil(F / this.block);
    const buf = new Float32Array(rowCount * this.block);
    for (let b = 0; b < count; b++) {
      const w = blockWidth(F, this.block, b);
      const c0 = b * this.block;
      for (let r = 0; r < rowCount; r++) buf.set(rows.subarray(r * F + c0, r * F + c0 + w), r * w);
      const bytes = rowCount * w * 4;
      const offset = (b * this.n * this.block + rowStart * w) * 4;
      let done = 0;
      while (done < bytes) done += writeSync(this.handle(), new Uint8Array(buf.buffer, done, bytes - done), 0, bytes - done, offset + done);
    }
  }
  readBlock(b: number): Float32Array {
    const w = blockWidth(this.features, this.block, b);
    const out = new Float32Array(this.n * w);
    const bytes = out.byteLength;
    const view = new Uint8Array(out.buffer);
    let done = 0;
    while (done < bytes) {
      const got = readSync(this.handle(), view, done, bytes - done, b * this.n * this.block * 4 + done);
      if (got === 0) throw new AppError('INTERNAL', `Block storage ${this.file} is shorter than expected`);
      done += got;
    }
    return out;
  }
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.file, { force: true });
  }
}

/** Splits layers (in hook order) into consecutive groups whose block storage fits `budget` bytes. */
export function planGroups(layers: readonly SpectrumLayer[], n: number, budget: number): SpectrumLayer[][] {
  const groups: SpectrumLayer[][] = [];
  let current: SpectrumLayer[] = [];
  let bytes = 0;
  for (const l of layers) {
    const b = l.features * n * 4;
    if (current.length > 0 && bytes + b > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(l);
    bytes += b;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

class StopForward extends Error {}

/**
 * Default block width: 2048 features (fewer for N > 1024: at most 8 MiB per block, 256 at least).
 * On wasm, 1024–4096 features per block run at the same speed for N = 64 and 256, 8192 and more
 * slower (measured with gram.ts accumulateBlock and bench spectra --block); narrower blocks also
 * keep the float32 rounding of each block product smaller.
 */
export function defaultBlockFeatures(n: number): number {
  return Math.max(256, Math.min(2048, Math.floor((8 * 1024 * 1024) / (4 * n))));
}

/**
 * Runs `model` over the images of `feed` and calls `onLayer` with each layer's Gram matrix (in hook
 * order, a BatchNorm derived from its conv right after the conv; the Gram array is the callee's).
 * Progress units: one per image batch of each pass and one per layer's Gram.
 */
export async function captureGrams(
  model: ResNet,
  layers: readonly SpectrumLayer[],
  feed: ImageFeed,
  opts: CaptureOptions,
  ctx: JobContext,
  onLayer: (g: LayerGram) => void,
): Promise<CaptureTimings> {
  const n = feed.count;
  const batchSize = opts.batchSize ?? 16;
  const scratch = opts.scratchDir ?? null;
  const budget = opts.budgetBytes ?? (scratch ? 4 * 1024 ** 3 : 512 * 1024 ** 2);
  const block = opts.blockFeatures ?? defaultBlockFeatures(n);
  const precision = opts.gramPrecision ?? 'backend';
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppError('BAD_REQUEST', `batchSize must be a positive integer, got ${batchSize}`, [
      { path: 'batchSize', message: 'positive integer' },
    ]);
  if (!Number.isInteger(block) || block < 1) throw new AppError('BAD_REQUEST', `blockFeatures must be a positive integer, got ${block}`);
  if (n < 2) throw new AppError('BAD_REQUEST', `The spectra need at least 2 images, got ${n}`, [{ path: 'images', message: 'at least 2' }]);
  const derived = opts.bnFromConv === false ? new Map<string, BatchNormDerivation>() : await batchNormDerivations(model, layers);
  const derivedBns = new Set([...derived.values()].map((d) => d.bn.name));
  const stored = layers.filter((l) => !derivedBns.has(l.name));
  const groups = planGroups(stored, n, budget);
  const batches = Math.ceil(n / batchSize);
  const total = groups.length * batches + layers.length;
  let done = 0;
  const timings: CaptureTimings = { dataMs: 0, forwardMs: 0, gramMs: 0, forwardPasses: groups.length };
  if (scratch) mkdirSync(scratch, { recursive: true });

  for (const [gi, group] of groups.entries()) {
    const stores = new Map<string, { layer: SpectrumLayer; store: BlockStore }>();
    try {
      const groupBytes = group.reduce((a, l) => a + l.features * n * 4, 0);
      const onDisk = scratch !== null && groupBytes > (opts.memoryBytes ?? 0);
      for (const layer of group) {
        const store =
          onDisk && scratch
            ? new FileBlockStore(path.join(scratch, `${process.pid}-${gi}-${layer.name}.f32`), n, layer.features, block)
            : new MemoryBlockStore(n, layer.features, block);
        stores.set(layer.name, { layer, store });
      }
      const last = group[group.length - 1]!.name;
      for (let start = 0; start < n; start += batchSize) {
        throwIfCancelled(ctx);
        const count = Math.min(batchSize, n - start);
        const t0 = performance.now();
        const pixels = await feed.batch(start, count);
        if (pixels.length !== count * feed.size * feed.size * 3)
          throw new AppError('INTERNAL', `Image feed returned ${pixels.length} values for ${count} images of ${feed.size} px`);
        const t1 = performance.now();
        timings.dataMs += t1 - t0;
        // The hook runs inside the (synchronous) forward pass: it keeps the layers' outputs, read back
        // asynchronously once the pass has stopped (a GPU backend cannot be read synchronously in Node).
        const captured = new Map<string, Tensor>();
        const hook = (name: string, _kind: string, out: Tensor): void => {
          const entry = stores.get(name);
          if (!entry) return;
          const per = out.size / count;
          if (per !== entry.layer.features)
            throw new AppError('INTERNAL', `Layer ${name}: ${per} features per image, expected ${entry.layer.features}`);
          captured.get(name)?.dispose();
          captured.set(name, tf.keep(tf.clone(out)));
          if (name === last) throw new StopForward();
        };
        const x = tf.tensor4d(pixels, [count, feed.size, feed.size, 3]) as Tensor4D;
        try {
          try {
            model.forward(x, { training: false, hook }).dispose();
          } catch (e) {
            if (!(e instanceof StopForward)) throw e;
          } finally {
            x.dispose();
          }
          for (const [name, out] of captured) stores.get(name)!.store.write(start, (await out.data()) as Float32Array, count);
        } finally {
          tf.dispose([...captured.values()]);
        }
        const seen = new Set(captured.keys());
        if (seen.size !== stores.size)
          throw new AppError(
            'INTERNAL',
            `The forward pass did not reach layer(s) ${[...stores.keys()].filter((k) => !seen.has(k)).join(', ')}`,
          );
        timings.forwardMs += performance.now() - t1;
        ctx.progress(++done, total, `Forward pass ${gi + 1}/${groups.length}: ${Math.min(start + count, n)}/${n} images`);
      }
      for (const { layer, store } of stores.values()) {
        throwIfCancelled(ctx);
        const t0 = performance.now();
        const grams = await layerGrams(layer, store, n, block, precision, derived.get(layer.name) ?? null);
        store.dispose();
        timings.gramMs += performance.now() - t0;
        for (const g of grams) {
          onLayer(g);
          ctx.progress(++done, total, `Gram matrix of ${g.layer.name}`);
        }
      }
    } finally {
      for (const { store } of stores.values()) store.dispose();
    }
  }
  return timings;
}

/** The Gram matrix of a stored layer and, with a derivation, of its BatchNorm (gram.ts accumulateBlock). */
async function layerGrams(
  layer: SpectrumLayer,
  store: BlockStore,
  n: number,
  block: number,
  precision: GramPrecision,
  bn: BatchNormDerivation | null,
): Promise<LayerGram[]> {
  const kept = new Float64Array(n * n);
  const zeroChannels = bn ? bn.zeroScale.reduce((a, b) => a + b, 0) : 0;
  const excludedGram = zeroChannels > 0 ? new Float64Array(n * n) : null;
  let constantFeatures = 0;
  let excludedVarying = 0;
  const blocks = Math.ceil(layer.features / block);
  for (let b = 0; b < blocks; b++) {
    const w = blockWidth(layer.features, block, b);
    let excluded: Uint8Array | null = null;
    if (bn && excludedGram) {
      excluded = new Uint8Array(w);
      for (let j = 0, c = (b * block) % bn.channels; j < w; j++, c = c + 1 === bn.channels ? 0 : c + 1) excluded[j] = bn.zeroScale[c]!;
    }
    const r = await accumulateBlock(store.readBlock(b), n, w, precision, { kept, excluded: excludedGram }, excluded);
    if (r.nonFinite > 0)
      throw new AppError(
        'BAD_REQUEST',
        `Layer ${layer.name} has non-finite activations (${r.nonFinite} feature(s) of block ${b + 1}/${blocks}): the model's weights or the images are not usable for the spectra`,
      );
    constantFeatures += r.constant;
    excludedVarying += r.excludedVarying;
  }
  if (!bn) return [{ layer, gram: kept, constantFeatures }];
  const own = new Float64Array(n * n);
  if (excludedGram) for (let i = 0; i < own.length; i++) own[i] = kept[i]! + excludedGram[i]!;
  else own.set(kept);
  return [
    { layer, gram: own, constantFeatures },
    { layer: bn.bn, gram: kept, constantFeatures: constantFeatures + excludedVarying },
  ];
}
