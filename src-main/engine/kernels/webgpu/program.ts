/**
 * What FundusLab's WGSL kernels need from tfjs-backend-webgpu: its `runWebGPUProgram`, which
 * compiles a program's WGSL (once per shader key), binds its inputs, one output and the uniforms,
 * and records the dispatch in the backend's command stream, in order with every other kernel.
 *
 * A program is the backend's WebGPUProgram shape, written here as a plain object (nothing of the
 * package is imported at run time). The backend prepends to `getUserCode()`: the Uniforms struct
 * (every input's shape and strides, `outShape`, `size` when asked, then the program's own
 * `uniforms` fields), `result` (the output array) and one read-only array per input name. With a
 * flat dispatch layout it calls `main(index)` with the global invocation index.
 */
import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/** tfjs-backend-webgpu's WebGPUProgram, the fields FundusLab's programs use. */
export interface WgslProgram {
  variableNames: string[];
  outputShape: number[];
  /** Identifies the compiled pipeline together with the input ranks and dtypes: every compile-time constant must be in it. */
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Extra fields of the Uniforms struct, e.g. 'rows : i32, channels : i32,' (values passed in the same order). */
  uniforms?: string;
  /** Adds `size : i32` (elements of the output, divided by outputComponent) to the uniforms. */
  size?: boolean;
  /** 4: the output and the inputs are arrays of vec4<f32>. */
  outputComponent?: number;
  variableComponents?: number[];
  getUserCode(): string;
}

export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The WebGPUBackend methods the kernels call. */
export interface WgslBackend extends KernelBackend {
  runWebGPUProgram(program: WgslProgram, inputs: TensorInfo[], outputDtype: DataType, uniforms?: ProgramUniform[]): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

export function wgslBackend(backend: unknown, kernel: string): WgslBackend {
  const b = backend as Partial<WgslBackend> | null;
  if (!b || typeof b.runWebGPUProgram !== 'function')
    throw new Error(`${kernel} (webgpu): the active backend is not tfjs's WebGPU backend`);
  return b as WgslBackend;
}

/** Invocations per workgroup of the element-wise programs. */
const ELEMENTWISE_WORKGROUP = 64;

/**
 * An element-wise program over `elements` values (or elements/4 vec4 values when `vec4`): `main`
 * gets the flat index; `body` sets the output with setOutputAtIndex(index, …).
 */
export function elementwiseProgram(opts: {
  key: string;
  inputs: string[];
  outputShape: number[];
  vec4: boolean;
  uniforms?: string;
  body: string;
  prelude?: string;
}): WgslProgram {
  const elements = opts.outputShape.reduce((a, b) => a * b, 1);
  const component = opts.vec4 ? 4 : 1;
  return {
    variableNames: opts.inputs,
    outputShape: opts.outputShape,
    shaderKey: `${opts.key}_${opts.vec4 ? 'vec4' : 'scalar'}`,
    dispatchLayout: { x: opts.outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(elements / component / ELEMENTWISE_WORKGROUP)), 1, 1],
    workgroupSize: [ELEMENTWISE_WORKGROUP, 1, 1],
    ...(opts.uniforms ? { uniforms: opts.uniforms } : {}),
    size: true,
    outputComponent: component,
    variableComponents: opts.inputs.map(() => component),
    getUserCode: () => `
      ${opts.prelude ?? ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${opts.body}
        }
      }`,
  };
}

/** The float32 type of an element of a program whose values are scalars or vec4s. */
export const f32Type = (vec4: boolean): string => (vec4 ? 'vec4<f32>' : 'f32');
