/**
 * Fused optimizer updates as WGSL programs on tfjs's WebGPU backend, under the names and contract of
 * the wasm kernels (kernels/wasm/Optimizers.ts): the same float32 operations in the same order as
 * the tfjs ops of optim/adamw.ts and optim/sgd.ts, the hyper-parameters rounded to float32 as the
 * tfjs scalars are.
 *
 * FundusLabAdamW inputs param, grad, m, v; attrs beta1, beta2, decay (1 − lr·wd, or null: no
 *                decay), bc2Sqrt, eps, stepSize (lr / (1 − β1^t)); outputs param', m', v'
 * FundusLabSgd   inputs param, grad and (after the first step, with momentum) buf; attrs lr,
 *                momentum, weightDecay; outputs param' and, with momentum, buf'
 *
 * A program writes one output, so AdamW is three element-wise programs (param', m', v'; each
 * recomputes what it needs) and SGD with momentum two: 3 and 2 passes over the parameter where the
 * tfjs ops take ~12 and ~5. Vectors of 4 when the size is a multiple of 4.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ADAMW, SGD, type AdamWAttrs, type SgdAttrs } from '../wasm/Optimizers';
import { elementwiseProgram, wgslBackend, type ProgramUniform } from './program';

function sameShape(kernel: string, param: TensorInfo | undefined, others: Record<string, TensorInfo | undefined>): TensorInfo {
  if (!param || param.dtype !== 'float32') throw new Error(`${kernel} (webgpu): expected a float32 param`);
  for (const [name, t] of Object.entries(others)) {
    if (!t || t.dtype !== 'float32' || t.shape.join() !== param.shape.join()) {
      throw new Error(
        `${kernel} (webgpu): expected a float32 ${name} of shape [${param.shape}], got ${t ? `${t.dtype} [${t.shape}]` : 'none'}`,
      );
    }
  }
  return param;
}

const floats = (values: number[]): ProgramUniform[] => values.map((v) => ({ type: 'float32', data: [v] }));

type AdamWOutput = 'param' | 'm' | 'v';

/** m' = m·β1 + g·(1 − β1); v' = v·β2 + g²·(1 − β2); p' = p·decay − (m' / (√v' / bc2Sqrt + eps))·stepSize. */
function adamWBody(which: AdamWOutput, decay: boolean): string {
  const m = 'let mv = m[index] * uniforms.beta1 + g * uniforms.oneMinusBeta1;';
  const v = 'let vv = v[index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;';
  const p = `
          let pv = ${decay ? 'param[index] * uniforms.decay' : 'param[index]'};
          let denom = sqrt(vv) / uniforms.bc2Sqrt + uniforms.eps;
          setOutputAtIndex(index, pv - (mv / denom) * uniforms.stepSize);`;
  const body = { m: `${m} setOutputAtIndex(index, mv);`, v: `${v} setOutputAtIndex(index, vv);`, param: `${m} ${v} ${p}` }[which];
  return `let g = grad[index]; ${body}`;
}

const adamWKernel: KernelFunc = ({ inputs, attrs, backend: kb }) => {
  const { param, grad, m, v } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as AdamWAttrs;
  const p = sameShape(ADAMW, param, { grad, m, v });
  const backend = wgslBackend(kb, ADAMW);
  const n = p.shape.reduce((x, y) => x * y, 1);
  const vec4 = n % 4 === 0;
  const decay = a.decay !== null;
  const uniforms = floats([a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.decay ?? 1, a.bc2Sqrt, a.eps, a.stepSize]);
  const tensors: Record<string, TensorInfo> = { param: p, grad: grad!, m: m!, v: v! };
  // A program binds only the inputs its code reads (the pipeline's layout leaves out unused ones).
  const uses: Record<AdamWOutput, string[]> = { param: ['param', 'grad', 'm', 'v'], m: ['grad', 'm'], v: ['grad', 'v'] };
  const run = (which: AdamWOutput) =>
    backend.runWebGPUProgram(
      elementwiseProgram({
        key: `fundusLabAdamW_${which}_${decay ? 'decay' : 'nodecay'}`,
        inputs: uses[which],
        outputShape: p.shape,
        vec4,
        uniforms:
          'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, decay : f32, bc2Sqrt : f32, eps : f32, stepSize : f32,',
        body: adamWBody(which, decay),
      }),
      uses[which].map((name) => tensors[name]!),
      'float32',
      uniforms,
    );
  return [run('param'), run('m'), run('v')];
};

/** d = g + p·wd (wd ≠ 0); buf' = d (first step) or buf·μ + d; p' = p − buf'·lr (or p − d·lr without momentum). */
function sgdBody(which: 'param' | 'buf', o: { decay: boolean; momentum: boolean; first: boolean }): string {
  const d = `var d = grad[index]; ${o.decay ? 'd = d + param[index] * uniforms.weightDecay;' : ''}`;
  const b = o.momentum && !o.first ? 'd = buf[index] * uniforms.momentum + d;' : '';
  return which === 'buf' ? `${d} ${b} setOutputAtIndex(index, d);` : `${d} ${b} setOutputAtIndex(index, param[index] - d * uniforms.lr);`;
}

const sgdKernel: KernelFunc = ({ inputs, attrs, backend: kb }) => {
  const { param, grad, buf } = inputs as Record<string, TensorInfo | undefined>;
  const a = attrs as unknown as SgdAttrs;
  const first = buf === undefined;
  const p = sameShape(SGD, param, first ? { grad } : { grad, buf });
  const backend = wgslBackend(kb, SGD);
  const n = p.shape.reduce((x, y) => x * y, 1);
  const vec4 = n % 4 === 0;
  const o = { decay: a.weightDecay !== 0, momentum: a.momentum !== 0, first };
  const tensors: Record<string, TensorInfo> = { param: p, grad: grad!, ...(buf ? { buf } : {}) };
  const run = (which: 'param' | 'buf') => {
    // Only the inputs the program reads (the pipeline's layout leaves out unused ones).
    const uses = ['grad', ...(o.decay || which === 'param' ? ['param'] : []), ...(o.momentum && !first ? ['buf'] : [])];
    return backend.runWebGPUProgram(
      elementwiseProgram({
        key: `fundusLabSgd_${which}_${o.decay ? 'decay' : 'nodecay'}_${o.momentum ? 'momentum' : 'plain'}_${first ? 'first' : 'next'}`,
        inputs: uses,
        outputShape: p.shape,
        vec4,
        uniforms: 'lr : f32, momentum : f32, weightDecay : f32,',
        body: sgdBody(which, o),
      }),
      uses.map((name) => tensors[name]!),
      'float32',
      floats([a.lr, a.momentum, a.weightDecay]),
    );
  };
  return o.momentum ? [run('param'), run('buf')] : [run('param')];
};

export const adamWWebgpuConfig: KernelConfig = { kernelName: ADAMW, backendName: 'webgpu', kernelFunc: adamWKernel };
export const sgdWebgpuConfig: KernelConfig = { kernelName: SGD, backendName: 'webgpu', kernelFunc: sgdKernel };
