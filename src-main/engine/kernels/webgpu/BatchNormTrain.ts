/**
 * Train-mode BatchNorm over N·H·W of NHWC data (batch statistics, biased variance), optionally
 * followed by ReLU, and its gradient, as WGSL programs on tfjs's WebGPU backend, under the names and
 * contract of the wasm kernels (kernels/wasm/BatchNormTrain.ts):
 *
 * FundusLabBatchNormTrain     inputs x [N,H,W,C], gamma [C], beta [C]; attrs epsilon, relu
 *                             outputs y [N,H,W,C], mean [C], variance [C] (biased), invStd [C] = 1/√(var + ε)
 * FundusLabBatchNormTrainGrad inputs dy, x, mean, invStd, gamma, beta; attrs relu (the ReLU mask is
 *                             recomputed from x with the forward's own expression)
 *                             outputs dx [N,H,W,C], dGamma [C], dBeta [C]
 *
 * Built from tfjs ops on webgpu the same computation is ~15 programs per layer forward and ~20
 * backward, and every reduction over N·H·W of NHWC data transposes the activation first. Here:
 *
 *  forward   1. partial statistics: each workgroup reduces a block of rows for a tile of channels
 *               (consecutive invocations read consecutive channels of a row) to a count, mean and
 *               M2 = Σ(x − mean)²: each invocation sums x − x₀ and (x − x₀)² over its rows (x₀ its
 *               first value, so the sums do not cancel), then the invocations' results are merged
 *               pairwise with Chan's formula (stable in float32, no Σx² − (Σx)²/m cancellation);
 *            2. three tiny programs merge the blocks' results per channel the same way and write
 *               mean, variance = M2/m and invStd;
 *            3. y = x·a + b with a = γ·invStd, b = β − μ·a (ReLU: 0 unless > 0).
 *  backward  1. partial sums per block and channel of g and g·(x − μ), g = dy·[x·a + b > 0] (ReLU)
 *               or dy, summed pairwise in the workgroup;
 *            2. tiny programs: dβ = Σ g, dγ = Σ g·(x − μ)·invStd, then k = a·dγ·invStd/m, c = a·dβ/m;
 *            3. dx = a·g − (x − μ)·k − c.
 * The activation is read twice forward and twice backward. Per-channel vectors and element-wise
 * passes use vec4 when C is a multiple of 4.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, type BatchNormTrainAttrs } from '../wasm/BatchNormTrain';
import { elementwiseProgram, f32Type, wgslBackend, type WgslBackend, type WgslProgram } from './program';

/** Invocations per workgroup of the reduction programs. */
const REDUCE_WORKGROUP = 256;
/** Rows each invocation of a reduction sums on its own (before the pairwise merges), at most. */
const ROWS_PER_INVOCATION = 32;
/** Upper bound on the blocks of rows (the per-channel merges of step 2 loop over them). */
const MAX_BLOCKS = 2048;

function channelsOf(kernel: string, x: TensorInfo, vectors: Record<string, TensorInfo | undefined>): number {
  if (x.shape.length !== 4) throw new Error(`${kernel} (webgpu): expected x [N, H, W, C], got shape [${x.shape}]`);
  const channels = x.shape[3]!;
  for (const [name, v] of Object.entries(vectors)) {
    if (!v || v.shape.length !== 1 || v.shape[0] !== channels)
      throw new Error(`${kernel} (webgpu): expected ${name} of shape [${channels}], got ${v ? `[${v.shape}]` : 'none'}`);
  }
  for (const [name, v] of Object.entries({ x, ...vectors })) {
    if (v!.dtype !== 'float32') throw new Error(`${kernel} (webgpu): expected a float32 ${name}, got ${v!.dtype}`);
  }
  return channels;
}

/** How a reduction over the rows of [rows, C] is split: channel tiles × blocks of rows, one workgroup each. */
interface Split {
  rows: number;
  channels: number;
  /** Channels per tile (consecutive invocations), a power of two ≤ 64. */
  tileChannels: number;
  /** Invocations per channel in a workgroup. */
  lanes: number;
  tiles: number;
  blockRows: number;
  blocks: number;
}

function splitRows(rows: number, channels: number): Split {
  let tileChannels = 1;
  while (tileChannels < Math.min(channels, 64)) tileChannels *= 2;
  const lanes = REDUCE_WORKGROUP / tileChannels;
  const tiles = Math.ceil(channels / tileChannels);
  let blockRows = lanes * ROWS_PER_INVOCATION;
  if (Math.ceil(rows / blockRows) > MAX_BLOCKS) blockRows = lanes * Math.ceil(rows / (MAX_BLOCKS * lanes));
  return { rows, channels, tileChannels, lanes, tiles, blockRows, blocks: Math.max(1, Math.ceil(rows / blockRows)) };
}

const SPLIT_UNIFORMS = 'rows : i32, channels : i32, tiles : i32, blockRows : i32, blocks : i32,';
const splitUniforms = (s: Split) => [
  { type: 'int32' as const, data: [s.rows] },
  ...[s.channels, s.tiles, s.blockRows, s.blocks].map((v) => ({ type: 'int32' as const, data: [v] })),
];

/**
 * WGSL shared by the reduction programs: which channel, lane and block of rows an invocation works
 * on (one workgroup per tile × block, the flat index from the backend's `main(index)`).
 */
function reductionHeader(s: Split): string {
  return `
    const TILE_CHANNELS : i32 = ${s.tileChannels};
    const LANES : i32 = ${s.lanes};
    const WORKGROUP : i32 = ${REDUCE_WORKGROUP};`;
}
const reductionPosition = `
    let slot = index % WORKGROUP;
    let wg = index / WORKGROUP;
    let blk = wg / uniforms.tiles;
    let lane = slot / TILE_CHANNELS;
    let c = (wg % uniforms.tiles) * TILE_CHANNELS + slot % TILE_CHANNELS;
    let r0 = blk * uniforms.blockRows;
    let r1 = min(r0 + uniforms.blockRows, uniforms.rows);
    // A reshaped dispatch (more workgroups than a dimension allows) may add workgroups past the last block.
    let inRange = c < uniforms.channels && blk < uniforms.blocks;`;

function reductionProgram(key: string, inputs: string[], s: Split, code: string): WgslProgram {
  return {
    variableNames: inputs,
    outputShape: [s.blocks, 2, s.channels],
    shaderKey: `${key}_${s.tileChannels}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [s.tiles * s.blocks, 1, 1],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    uniforms: SPLIT_UNIFORMS,
    getUserCode: () => `${reductionHeader(s)}\n${code}`,
  };
}

/** Per block and channel: mean and M2 of x over the block's rows (see the module comment). */
function momentsProgram(s: Split): WgslProgram {
  return reductionProgram(
    'fundusLabBnMoments',
    ['x'],
    s,
    `
    var<workgroup> counts : array<f32, WORKGROUP>;
    var<workgroup> means : array<f32, WORKGROUP>;
    var<workgroup> m2s : array<f32, WORKGROUP>;

    // Chan et al.: merges the (count, mean, M2) of slot b into slot a.
    fn mergeInto(a : i32, b : i32) {
      let nb = counts[b];
      if (nb > 0.0) {
        let na = counts[a];
        let n = na + nb;
        let d = means[b] - means[a];
        let f = nb / n;
        means[a] = means[a] + d * f;
        m2s[a] = m2s[a] + m2s[b] + d * d * na * f;
        counts[a] = n;
      }
    }

    fn main(index : i32) {
      ${reductionPosition}
      var n = 0.0;
      var s = 0.0;
      var q = 0.0;
      var shift = 0.0;
      if (inRange && r0 + lane < r1) {
        shift = x[(r0 + lane) * uniforms.channels + c];
        for (var r = r0 + lane; r < r1; r = r + LANES) {
          let d = x[r * uniforms.channels + c] - shift;
          s = s + d;
          q = q + d * d;
          n = n + 1.0;
        }
      }
      counts[slot] = n;
      means[slot] = select(shift, shift + s / n, n > 0.0);
      m2s[slot] = select(0.0, max(q - s * s / n, 0.0), n > 0.0);
      workgroupBarrier();
      for (var stride = LANES / 2; stride > 0; stride = stride / 2) {
        if (lane < stride) {
          mergeInto(slot, slot + stride * TILE_CHANNELS);
        }
        workgroupBarrier();
      }
      if (lane == 0 && inRange) {
        result[(blk * 2) * uniforms.channels + c] = means[slot];
        result[(blk * 2 + 1) * uniforms.channels + c] = m2s[slot];
      }
    }`,
  );
}

/** Per block and channel: Σ g and Σ g·(x − μ) over the block's rows. */
function gradSumsProgram(s: Split, relu: boolean): WgslProgram {
  const program = reductionProgram(
    `fundusLabBnGradSums_${relu ? 'relu' : 'linear'}`,
    ['dy', 'x', 'mean', 'invStd', 'gamma', 'beta'],
    s,
    `
    var<workgroup> sumG : array<f32, WORKGROUP>;
    var<workgroup> sumGX : array<f32, WORKGROUP>;

    fn main(index : i32) {
      ${reductionPosition}
      var sg = 0.0;
      var sgx = 0.0;
      if (inRange) {
        let mu = mean[c];
        let a = gamma[c] * invStd[c];
        let b = beta[c] - mu * a;
        for (var r = r0 + lane; r < r1; r = r + LANES) {
          let i = r * uniforms.channels + c;
          let xv = x[i];
          let g = ${relu ? 'select(0.0, dy[i], xv * a + b > 0.0)' : 'dy[i]'};
          sg = sg + g;
          sgx = sgx + g * (xv - mu);
        }
      }
      sumG[slot] = sg;
      sumGX[slot] = sgx;
      workgroupBarrier();
      for (var stride = LANES / 2; stride > 0; stride = stride / 2) {
        if (lane < stride) {
          sumG[slot] = sumG[slot] + sumG[slot + stride * TILE_CHANNELS];
          sumGX[slot] = sumGX[slot] + sumGX[slot + stride * TILE_CHANNELS];
        }
        workgroupBarrier();
      }
      if (lane == 0 && inRange) {
        result[(blk * 2) * uniforms.channels + c] = sumG[slot];
        result[(blk * 2 + 1) * uniforms.channels + c] = sumGX[slot];
      }
    }`,
  );
  return program;
}

type StatOutput = 'mean' | 'variance' | 'invStd';

/** Merges the blocks' (count, mean, M2) of one channel and writes its mean, variance or invStd. */
function statsProgram(s: Split, which: StatOutput): WgslProgram {
  const value = { mean: 'mean', variance: 'variance', invStd: '1.0 / sqrt(variance + uniforms.epsilon)' }[which];
  return {
    variableNames: ['partials'],
    outputShape: [s.channels],
    shaderKey: `fundusLabBnStats_${which}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(s.channels / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    uniforms: `${SPLIT_UNIFORMS} epsilon : f32,`,
    getUserCode: () => `
    fn main(c : i32) {
      if (c < uniforms.channels) {
        var n = 0.0;
        var mean = 0.0;
        var m2 = 0.0;
        for (var k = 0; k < uniforms.blocks; k = k + 1) {
          let nb = f32(min(uniforms.blockRows, uniforms.rows - k * uniforms.blockRows));
          let mb = partials[(k * 2) * uniforms.channels + c];
          let qb = partials[(k * 2 + 1) * uniforms.channels + c];
          let total = n + nb;
          let d = mb - mean;
          let f = nb / total;
          mean = mean + d * f;
          m2 = m2 + qb + d * d * n * f;
          n = total;
        }
        let variance = m2 / f32(uniforms.rows);
        result[c] = ${value};
      }
    }`,
  };
}

/** dβ = Σ g or dγ = Σ g·(x − μ) · invStd from the blocks' partial sums. */
function gradStatsProgram(s: Split, which: 'dGamma' | 'dBeta'): WgslProgram {
  return {
    variableNames: which === 'dBeta' ? ['partials'] : ['partials', 'invStd'],
    outputShape: [s.channels],
    shaderKey: `fundusLabBnGradStats_${which}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(s.channels / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    uniforms: SPLIT_UNIFORMS,
    getUserCode: () => `
    fn main(c : i32) {
      if (c < uniforms.channels) {
        var total = 0.0;
        for (var k = 0; k < uniforms.blocks; k = k + 1) {
          total = total + partials[(k * 2 + ${which === 'dBeta' ? 0 : 1}) * uniforms.channels + c];
        }
        result[c] = ${which === 'dBeta' ? 'total' : 'total * invStd[c]'};
      }
    }`,
  };
}

/**
 * The input gradient's per-channel coefficients [2, C]: k = a·dγ·invStd/m and c = a·dβ/m (a = γ·invStd),
 * so that the dx program stays within WebGPU's default of 8 storage buffers per program.
 */
function gradCoefficientsProgram(s: Split): WgslProgram {
  return {
    variableNames: ['invStd', 'gamma', 'dGamma', 'dBeta'],
    outputShape: [2, s.channels],
    shaderKey: 'fundusLabBnGradCoefficients',
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil((2 * s.channels) / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    uniforms: 'channels : i32, count : f32,',
    getUserCode: () => `
    fn main(index : i32) {
      if (index < 2 * uniforms.channels) {
        let c = index % uniforms.channels;
        let inv = invStd[c];
        let a = gamma[c] * inv;
        result[index] = select(a * dBeta[c] / uniforms.count, a * dGamma[c] * inv / uniforms.count, index < uniforms.channels);
      }
    }`,
  };
}

/** The forward's scale and shift of channel (vector) `cv`, as WGSL; the backward recomputes them with the same expression. */
const scaleShift = 'let a = gamma[cv] * invStd[cv]; let b = beta[cv] - mean[cv] * a;';

function normalizeProgram(shape: number[], vec4: boolean, relu: boolean): WgslProgram {
  const t = f32Type(vec4);
  return elementwiseProgram({
    key: `fundusLabBnNormalize_${relu ? 'relu' : 'linear'}`,
    inputs: ['x', 'mean', 'invStd', 'gamma', 'beta'],
    outputShape: shape,
    vec4,
    uniforms: 'channelVectors : i32,',
    body: `
          let cv = index % uniforms.channelVectors;
          ${scaleShift}
          let v = x[index] * a + b;
          setOutputAtIndex(index, ${relu ? `select(${t}(0.0), v, v > ${t}(0.0))` : 'v'});`,
  });
}

function gradInputProgram(shape: number[], vec4: boolean, relu: boolean): WgslProgram {
  const t = f32Type(vec4);
  return elementwiseProgram({
    key: `fundusLabBnGradInput_${relu ? 'relu' : 'linear'}`,
    inputs: ['dy', 'x', 'mean', 'invStd', 'gamma', 'beta', 'coefficients'],
    outputShape: shape,
    vec4,
    uniforms: 'channelVectors : i32,',
    body: `
          let cv = index % uniforms.channelVectors;
          ${scaleShift}
          let xv = x[index];
          let g = ${relu ? `select(${t}(0.0), dy[index], xv * a + b > ${t}(0.0))` : 'dy[index]'};
          let k = coefficients[cv];
          let c = coefficients[uniforms.channelVectors + cv];
          setOutputAtIndex(index, a * g - (xv - mean[cv]) * k - c);`,
  });
}

function run(
  backend: WgslBackend,
  program: WgslProgram,
  inputs: TensorInfo[],
  uniforms: { type: 'int32' | 'float32'; data: number[] }[],
): TensorInfo {
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}

const batchNormTrainKernel: KernelFunc = ({ inputs, attrs, backend: kb }) => {
  const { x, gamma, beta } = inputs as Record<string, TensorInfo | undefined>;
  const { epsilon, relu } = attrs as unknown as BatchNormTrainAttrs;
  if (!x) throw new Error(`${BATCH_NORM_TRAIN} (webgpu): expected input x`);
  const channels = channelsOf(BATCH_NORM_TRAIN, x, { gamma, beta });
  const backend = wgslBackend(kb, BATCH_NORM_TRAIN);
  const s = splitRows(x.shape[0]! * x.shape[1]! * x.shape[2]!, channels);
  const partials = run(backend, momentsProgram(s), [x], splitUniforms(s));
  const stat = (which: StatOutput) =>
    run(backend, statsProgram(s, which), [partials], [...splitUniforms(s), { type: 'float32', data: [epsilon] }]);
  const [mean, variance, invStd] = [stat('mean'), stat('variance'), stat('invStd')];
  backend.disposeData(partials.dataId);
  const vec4 = channels % 4 === 0;
  const y = run(
    backend,
    normalizeProgram(x.shape, vec4, relu),
    [x, mean, invStd, gamma!, beta!],
    [{ type: 'int32', data: [vec4 ? channels / 4 : channels] }],
  );
  return [y, mean, variance, invStd];
};

const batchNormTrainGradKernel: KernelFunc = ({ inputs, attrs, backend: kb }) => {
  const { dy, x, mean, invStd, gamma, beta } = inputs as Record<string, TensorInfo | undefined>;
  const { relu } = attrs as unknown as Pick<BatchNormTrainAttrs, 'relu'>;
  if (!dy || !x) throw new Error(`${BATCH_NORM_TRAIN_GRAD} (webgpu): expected inputs dy and x`);
  const channels = channelsOf(BATCH_NORM_TRAIN_GRAD, x, { mean, invStd, gamma, beta });
  if (dy.shape.join() !== x.shape.join() || dy.dtype !== 'float32') {
    throw new Error(`${BATCH_NORM_TRAIN_GRAD} (webgpu): expected a float32 dy of shape [${x.shape}], got ${dy.dtype} [${dy.shape}]`);
  }
  const backend = wgslBackend(kb, BATCH_NORM_TRAIN_GRAD);
  const s = splitRows(x.shape[0]! * x.shape[1]! * x.shape[2]!, channels);
  const vectors = [mean!, invStd!, gamma!, beta!];
  const partials = run(backend, gradSumsProgram(s, relu), [dy, x, ...vectors], splitUniforms(s));
  const dGamma = run(backend, gradStatsProgram(s, 'dGamma'), [partials, invStd!], splitUniforms(s));
  const dBeta = run(backend, gradStatsProgram(s, 'dBeta'), [partials], splitUniforms(s));
  backend.disposeData(partials.dataId);
  const coefficients = run(
    backend,
    gradCoefficientsProgram(s),
    [invStd!, gamma!, dGamma, dBeta],
    [
      { type: 'int32', data: [channels] },
      { type: 'float32', data: [s.rows] },
    ],
  );
  const vec4 = channels % 4 === 0;
  const dx = run(
    backend,
    gradInputProgram(x.shape, vec4, relu),
    [dy, x, ...vectors, coefficients],
    [{ type: 'int32', data: [vec4 ? channels / 4 : channels] }],
  );
  backend.disposeData(coefficients.dataId);
  return [dx, dGamma, dBeta];
};

export const batchNormTrainWebgpuConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'webgpu',
  kernelFunc: batchNormTrainKernel,
};
export const batchNormTrainGradWebgpuConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'webgpu',
  kernelFunc: batchNormTrainGradKernel,
};
