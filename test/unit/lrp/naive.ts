/**
 * The oracle of the LRP tests: a naive float64 re-implementation that enumerates every individual
 * contribution z_ij = x_i·w_ij of every layer with explicit loops (the "matrix" form of the rules,
 * Bach et al. 2015 / Montavon et al. 2019) instead of the tfjs implementation's convolutions of
 * clamped inputs and weights. E.g. α1β0: z⁺_j = Σ_i (x_i w_ij)⁺ + b_j⁺, R_i = Σ_j (x_i w_ij)⁺/stab(z⁺_j)·R_j —
 * note (x w)⁺ = x⁺w⁺ + x⁻w⁻, so this checks the signed-input formulation too. It shares only the
 * graph description and the rule assignment (composite) with the code under test.
 */
import type { LayerGraph, LayerNode } from '../../../src-main/analysis/lrp/graph';
import type { Rule } from '../../../src-main/analysis/lrp/rules';

export interface Arr {
  data: Float64Array;
  shape: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const zeros = (shape: number[]): Arr => ({ data: new Float64Array(size(shape)), shape });
const stab = (z: number, eps: number) => z + (z >= 0 ? eps : -eps);
const pos = (v: number) => (v > 0 ? v : 0);
const neg = (v: number) => (v < 0 ? v : 0);

/** Parameters of a node as float64 arrays. */
interface Params {
  w?: Float64Array;
  wShape?: number[];
  b?: Float64Array | null;
  gamma?: Float64Array;
  beta?: Float64Array;
  mean?: Float64Array;
  variance?: Float64Array;
}

function paramsOf(node: LayerNode): Params {
  const f = (t: { dataSync(): ArrayLike<number> }) => Float64Array.from(t.dataSync());
  if (node.type === 'conv' || node.type === 'linear')
    return { w: f(node.weight), wShape: node.weight.shape, b: node.bias ? f(node.bias) : null };
  if (node.type === 'bn') return { gamma: f(node.gamma), beta: f(node.beta), mean: f(node.mean), variance: f(node.variance) };
  return {};
}

/**
 * Calls visit(outIndex, inIndex, weightIndex) for every (output, input, weight) triple of a conv/linear with the input inside the image.
 */
function contributions(node: LayerNode, xShape: number[], outShape: number[], visit: (o: number, i: number, w: number) => void): void {
  if (node.type === 'linear') {
    const [n, cin] = xShape as [number, number];
    const cout = outShape[1]!;
    for (let s = 0; s < n; s++) for (let j = 0; j < cout; j++) for (let i = 0; i < cin; i++) visit(s * cout + j, s * cin + i, i * cout + j);
    return;
  }
  if (node.type !== 'conv') throw new Error('contributions of a non-linear layer');
  const [n, H, W, cin] = xShape as [number, number, number, number];
  const [, oh, ow, cout] = outShape as [number, number, number, number];
  const [kh, kw] = node.weight.shape;
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++)
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * node.stride - node.pad + ky;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * node.stride - node.pad + kx;
              if (ix < 0 || ix >= W) continue;
              for (let ci = 0; ci < cin; ci++)
                visit(((s * oh + oy) * ow + ox) * cout + co, ((s * H + iy) * W + ix) * cin + ci, ((ky * kw + kx) * cin + ci) * cout + co);
            }
          }
}

/** Calls visit(outIndex, inIndex) for every input position inside each pooling window. */
function windows(
  node: Extract<LayerNode, { type: 'maxpool' }>,
  xShape: number[],
  outShape: number[],
  visit: (o: number, i: number) => void,
): void {
  const [n, H, W, c] = xShape as [number, number, number, number];
  const [, oh, ow] = outShape as [number, number, number, number];
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++)
          for (let ky = 0; ky < node.size; ky++) {
            const iy = oy * node.stride - node.pad + ky;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < node.size; kx++) {
              const ix = ox * node.stride - node.pad + kx;
              if (ix < 0 || ix >= W) continue;
              visit(((s * oh + oy) * ow + ox) * c + ch, ((s * H + iy) * W + ix) * c + ch);
            }
          }
}

function outShapeOf(node: LayerNode, xShape: number[], p: Params): number[] {
  switch (node.type) {
    case 'conv': {
      const [n, H, W] = xShape as [number, number, number];
      const [kh, kw, , cout] = p.wShape as [number, number, number, number];
      return [n, Math.floor((H + 2 * node.pad - kh) / node.stride) + 1, Math.floor((W + 2 * node.pad - kw) / node.stride) + 1, cout];
    }
    case 'maxpool': {
      const [n, H, W, c] = xShape as [number, number, number, number];
      return [
        n,
        Math.floor((H + 2 * node.pad - node.size) / node.stride) + 1,
        Math.floor((W + 2 * node.pad - node.size) / node.stride) + 1,
        c,
      ];
    }
    case 'avgpool':
      return [xShape[0]!, xShape[3]!];
    case 'linear':
      return [xShape[0]!, p.wShape![1]!];
    default:
      return xShape;
  }
}

export interface NaiveForward {
  outputs: Map<string, Arr>;
  params: Map<string, Params>;
}

export function naiveForward(graph: LayerGraph, x: Arr): NaiveForward {
  const outputs = new Map<string, Arr>([['input', x]]);
  const params = new Map<string, Params>();
  for (const node of graph.nodes) {
    const p = paramsOf(node);
    params.set(node.name, p);
    const a = outputs.get(node.inputs[0]!)!;
    const shape = outShapeOf(node, a.shape, p);
    const y = zeros(shape);
    switch (node.type) {
      case 'conv':
      case 'linear': {
        const ch = shape[shape.length - 1]!;
        if (p.b) for (let o = 0; o < y.data.length; o++) y.data[o] = p.b[o % ch]!;
        contributions(node, a.shape, shape, (o, i, w) => (y.data[o] = y.data[o]! + a.data[i]! * p.w![w]!));
        break;
      }
      case 'bn': {
        const c = shape[3]!;
        for (let k = 0; k < y.data.length; k++) {
          const ch = k % c;
          y.data[k] = (p.gamma![ch]! * (a.data[k]! - p.mean![ch]!)) / Math.sqrt(p.variance![ch]! + node.eps) + p.beta![ch]!;
        }
        break;
      }
      case 'relu':
        for (let k = 0; k < y.data.length; k++) y.data[k] = pos(a.data[k]!);
        break;
      case 'maxpool':
        y.data.fill(-Infinity);
        windows(node, a.shape, shape, (o, i) => (y.data[o] = Math.max(y.data[o]!, a.data[i]!)));
        break;
      case 'avgpool': {
        const [n, H, W, c] = a.shape as [number, number, number, number];
        for (let s = 0; s < n; s++)
          for (let q = 0; q < H * W; q++)
            for (let ch = 0; ch < c; ch++) y.data[s * c + ch] = y.data[s * c + ch]! + a.data[(s * H * W + q) * c + ch]! / (H * W);
        break;
      }
      case 'add':
      case 'sum': {
        const b = outputs.get(node.inputs[1]!)!;
        for (let k = 0; k < y.data.length; k++) y.data[k] = a.data[k]! + b.data[k]!;
        break;
      }
    }
    outputs.set(node.name, y);
  }
  return { outputs, params };
}

/** Relevance at the input for starting relevance R0 at the output, each layer by its rule. */
export function naiveLrp(graph: LayerGraph, rules: readonly Rule[], x: Arr, R0: Arr, eps: number): Arr {
  const { outputs, params } = naiveForward(graph, x);
  const rel = new Map<string, Arr>([[graph.output, R0]]);
  const add = (name: string, r: Arr) => {
    const prev = rel.get(name);
    if (!prev) rel.set(name, r);
    else for (let k = 0; k < r.data.length; k++) prev.data[k] = prev.data[k]! + r.data[k]!;
  };
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k]!;
    const R = rel.get(node.name);
    if (!R) continue;
    const rule = rules[k]!;
    const p = params.get(node.name)!;
    const xs = node.inputs.map((n) => outputs.get(n)!);
    const a = xs[0]!;
    const out = outputs.get(node.name)!;
    const Ri = zeros(a.shape);
    switch (node.type) {
      case 'conv':
      case 'linear': {
        const ch = out.shape[out.shape.length - 1]!;
        const bias = (o: number) => (p.b ? p.b[o % ch]! : 0);
        if (rule.kind === 'alpha-beta' || rule.kind === 'zplus') {
          const alpha = rule.kind === 'zplus' ? 1 : rule.alpha;
          const beta = rule.kind === 'zplus' ? 0 : rule.beta;
          const zp = new Float64Array(out.data.length);
          const zn = new Float64Array(out.data.length);
          for (let o = 0; o < zp.length; o++) {
            zp[o] = pos(bias(o));
            zn[o] = neg(bias(o));
          }
          contributions(node, a.shape, out.shape, (o, i, w) => {
            const c = a.data[i]! * p.w![w]!;
            zp[o] = zp[o]! + pos(c);
            zn[o] = zn[o]! + neg(c);
          });
          contributions(node, a.shape, out.shape, (o, i, w) => {
            const c = a.data[i]! * p.w![w]!;
            Ri.data[i] =
              Ri.data[i]! + ((alpha * pos(c)) / stab(zp[o]!, eps)) * R.data[o]! - ((beta * neg(c)) / stab(zn[o]!, eps)) * R.data[o]!;
          });
        } else if (rule.kind === 'zbox') {
          const cin = a.shape[a.shape.length - 1]!;
          const contrib = (i: number, w: number) =>
            a.data[i]! * p.w![w]! - rule.low[i % cin]! * pos(p.w![w]!) - rule.high[i % cin]! * neg(p.w![w]!);
          const z = new Float64Array(out.data.length);
          contributions(node, a.shape, out.shape, (o, i, w) => (z[o] = z[o]! + contrib(i, w)));
          contributions(
            node,
            a.shape,
            out.shape,
            (o, i, w) => (Ri.data[i] = Ri.data[i]! + (contrib(i, w) / stab(z[o]!, eps)) * R.data[o]!),
          );
        } else if (rule.kind === 'flat') {
          const z = new Float64Array(out.data.length);
          contributions(node, a.shape, out.shape, (o) => (z[o] = z[o]! + 1));
          contributions(node, a.shape, out.shape, (o, i) => (Ri.data[i] = Ri.data[i]! + R.data[o]! / stab(z[o]!, eps)));
        } else if (rule.kind === 'epsilon') {
          const z = new Float64Array(out.data.length);
          for (let o = 0; o < z.length; o++) z[o] = bias(o);
          contributions(node, a.shape, out.shape, (o, i, w) => (z[o] = z[o]! + a.data[i]! * p.w![w]!));
          contributions(
            node,
            a.shape,
            out.shape,
            (o, i, w) => (Ri.data[i] = Ri.data[i]! + ((a.data[i]! * p.w![w]!) / stab(z[o]!, rule.epsilon)) * R.data[o]!),
          );
        } else if (rule.kind === 'gradient') {
          contributions(node, a.shape, out.shape, (o, i, w) => (Ri.data[i] = Ri.data[i]! + p.w![w]! * R.data[o]!));
        } else throw new Error(`naive: rule ${rule.kind} on ${node.type}`);
        add(node.inputs[0]!, Ri);
        break;
      }
      case 'relu':
        if (rule.kind === 'pass') Ri.data.set(R.data);
        else for (let q = 0; q < Ri.data.length; q++) Ri.data[q] = out.data[q]! > 0 ? R.data[q]! : 0;
        add(node.inputs[0]!, Ri);
        break;
      case 'maxpool':
        if (rule.kind === 'norm') {
          const z = new Float64Array(out.data.length);
          windows(node, a.shape, out.shape, (o, i) => (z[o] = z[o]! + a.data[i]!));
          windows(node, a.shape, out.shape, (o, i) => (Ri.data[i] = Ri.data[i]! + (a.data[i]! / stab(z[o]!, eps)) * R.data[o]!));
        } else {
          // winner-take-all: the first maximal input of each window (scan order) gets the relevance
          const winner = new Int32Array(out.data.length).fill(-1);
          windows(node, a.shape, out.shape, (o, i) => {
            if (winner[o]! < 0 || a.data[i]! > a.data[winner[o]!]!) winner[o] = i;
          });
          for (let o = 0; o < winner.length; o++) Ri.data[winner[o]!] = Ri.data[winner[o]!]! + R.data[o]!;
        }
        add(node.inputs[0]!, Ri);
        break;
      case 'avgpool': {
        const [n, H, W, c] = a.shape as [number, number, number, number];
        for (let s = 0; s < n; s++)
          for (let q = 0; q < H * W; q++)
            for (let ch = 0; ch < c; ch++) {
              const i = (s * H * W + q) * c + ch;
              Ri.data[i] =
                rule.kind === 'norm'
                  ? ((a.data[i]! / (H * W)) * R.data[s * c + ch]!) / stab(out.data[s * c + ch]!, eps)
                  : R.data[s * c + ch]! / (H * W);
            }
        add(node.inputs[0]!, Ri);
        break;
      }
      case 'add':
      case 'sum': {
        const b = xs[1]!;
        const Rb = zeros(b.shape);
        for (let q = 0; q < R.data.length; q++) {
          const xa = a.data[q]!;
          const xb = b.data[q]!;
          if (rule.kind === 'norm') {
            const s = R.data[q]! / stab(xa + xb, eps);
            Ri.data[q] = xa * s;
            Rb.data[q] = xb * s;
          } else if (rule.kind === 'alpha-beta' || rule.kind === 'zplus') {
            const alpha = rule.kind === 'zplus' ? 1 : rule.alpha;
            const beta = rule.kind === 'zplus' ? 0 : rule.beta;
            const zp = pos(xa) + pos(xb) + eps;
            const zn = stab(neg(xa) + neg(xb), eps);
            Ri.data[q] = R.data[q]! * ((alpha * pos(xa)) / zp - (beta * neg(xa)) / zn);
            Rb.data[q] = R.data[q]! * ((alpha * pos(xb)) / zp - (beta * neg(xb)) / zn);
          } else {
            Ri.data[q] = R.data[q]!;
            Rb.data[q] = R.data[q]!;
          }
        }
        add(node.inputs[0]!, Ri);
        add(node.inputs[1]!, Rb);
        break;
      }
      case 'bn': {
        const c = a.shape[3]!;
        for (let q = 0; q < Ri.data.length; q++)
          Ri.data[q] = rule.kind === 'pass' ? R.data[q]! : (R.data[q]! * p.gamma![q % c]!) / Math.sqrt(p.variance![q % c]! + node.eps);
        add(node.inputs[0]!, Ri);
        break;
      }
    }
  }
  return rel.get('input')!;
}

export function toArr(t: { dataSync(): ArrayLike<number>; shape: number[] }): Arr {
  return { data: Float64Array.from(t.dataSync()), shape: [...t.shape] };
}
