/**
 * Defocus blur's kernel and filter. The reference (`disk` in imagecorruptions) draws an indicator
 * disk of radius R on a 17 × 17 grid (2R + 1 above radius 8), normalises it in float32, and
 * anti-aliases it with `cv2.GaussianBlur` (3 × 3, 5 × 5 above radius 8; sigma = alias_blur,
 * BORDER_REFLECT_101 at the grid's edges); the image is then filtered with `cv2.filter2D`
 * (correlation, BORDER_REFLECT_101).
 *
 * Fast exact decomposition. With D the n × n disk (value d = 1/count), Dext its reflect-101
 * extension by the blur's half-width h, and g the blur taps, the kernel is K = crop_n(Dext ⊛ g ⊛ g),
 * so for any image x (already extended at the border)
 *   x ⋆ K = (x ⊛ g ⊛ g) ⋆ Dext − x ⋆ (Dext ⊛ g ⊛ g restricted to the ring outside the n × n crop).
 * The first term is a separable (2h + 1)-tap blur followed by a sum over the disk, which is a few
 * row runs of equal weight d, each read from row prefix sums; the ring has a few dozen non-zero taps
 * where the disk touches the grid's edge (radius 8 and 10) and none otherwise. A 21 × 21 kernel
 * costs ~25 window sums + 10 blur taps + the ring per value instead of 441 taps. The identity is
 * exact in real arithmetic; in floating point it differs from tap-by-tap filtering with the float32
 * kernel by ~1e-7 relative (the kernel's own float32 rounding), test/unit/corruptions checks both.
 * When the ring is not empty it costs a pass per tap (~140 at radius 10), so those kernels go through
 * an FFT instead (see defocusFilter).
 */
import { fftCorrelate2d, fftGrid } from './fft';
import { borderIndex, padReflect101 } from './filters';

const f32 = Math.fround;

function reflect101(i: number, n: number): number {
  return borderIndex(i, n, 'reflect101');
}

/** The alias-blur taps of cv2.getGaussianKernel(ksize, sigma, CV_32F): float32 exp values, summed in double, scaled. */
function aliasTaps(ksize: number, sigma: number): Float64Array {
  const half = (ksize - 1) / 2;
  const g = new Float64Array(ksize);
  const scale2 = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - half;
    g[i] = f32(Math.exp(scale2 * x * x));
    sum += g[i]!;
  }
  sum = 1 / sum;
  for (let i = 0; i < ksize; i++) g[i] = f32(g[i]! * sum);
  return g;
}

interface DiskGeometry {
  /** Kernel radius: the grid is n × n with n = 2r + 1. */
  r: number;
  n: number;
  ksize: number;
  /** Indicator of the disk on the grid (row-major). */
  inside: Uint8Array;
  /** Disk weight f32(1/count). */
  d: number;
  g: Float64Array;
}

function diskGeometry(radius: number, aliasBlur: number): DiskGeometry {
  const r = radius <= 8 ? 8 : radius;
  const ksize = radius <= 8 ? 3 : 5;
  const n = 2 * r + 1;
  const inside = new Uint8Array(n * n);
  let count = 0;
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      if (x * x + y * y <= radius * radius) {
        inside[(y + r) * n + x + r] = 1;
        count++;
      }
    }
  }
  return { r, n, ksize, inside, d: f32(1 / count), g: aliasTaps(ksize, aliasBlur) };
}

/** The reference's `disk(radius, alias_blur)` kernel (float32 values, row-major), side 17 (radius ≤ 8) or 2r + 1. */
export function defocusKernel(radius: number, aliasBlur: number): { size: number; values: Float64Array } {
  const { n, ksize, inside, d, g } = diskGeometry(radius, aliasBlur);
  const disk = new Float64Array(n * n);
  for (let i = 0; i < disk.length; i++) disk[i] = inside[i] ? d : 0;
  // cv2.GaussianBlur: row pass then column pass in float32 (s = k₀·x₀ + Σ_k k_k·(x₋ₖ + x₊ₖ)), BORDER_REFLECT_101.
  const half = (ksize - 1) / 2;
  const pass = (src: Float64Array, alongRows: boolean): Float64Array => {
    const out = new Float64Array(n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const get = (k: number): number => (alongRows ? src[y * n + reflect101(x + k, n)]! : src[reflect101(y + k, n) * n + x]!);
        let s = f32(g[half]! * get(0));
        for (let k = 1; k <= half; k++) s = f32(s + f32(g[half + k]! * f32(get(k) + get(-k))));
        out[y * n + x] = s;
      }
    }
    return out;
  };
  return { size: n, values: pass(pass(disk, true), false) };
}

interface DefocusPlan {
  r: number;
  half: number;
  /** Symmetric blur taps, g[0] the centre. */
  g: Float64Array;
  d: number;
  /** Row runs of Dext: offsets (u, v0…v1) relative to the kernel's top-left, in [−half, n + half). */
  runs: { u: number; v0: number; v1: number }[];
  /** Taps of Dext ⊛ g ⊛ g outside the n × n crop: (i, j) relative to the kernel's top-left. */
  ring: { i: number; j: number; w: number }[];
}

const plans = new Map<string, DefocusPlan>();

function defocusPlan(radius: number, aliasBlur: number): DefocusPlan {
  const key = `${radius}:${aliasBlur}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const { r, n, ksize, inside, d, g } = diskGeometry(radius, aliasBlur);
  const half = (ksize - 1) / 2;
  const ext = n + 2 * half;
  // Dext on [−half, n + half)², stored with offset half.
  const dext = new Uint8Array(ext * ext);
  for (let u = -half; u < n + half; u++)
    for (let v = -half; v < n + half; v++) dext[(u + half) * ext + v + half] = inside[reflect101(u, n) * n + reflect101(v, n)]!;
  const runs: DefocusPlan['runs'] = [];
  for (let u = 0; u < ext; u++) {
    let v = 0;
    while (v < ext) {
      if (!dext[u * ext + v]) {
        v++;
        continue;
      }
      let e = v;
      while (e + 1 < ext && dext[u * ext + e + 1]) e++;
      runs.push({ u: u - half, v0: v - half, v1: e - half });
      v = e + 1;
    }
  }
  const gs = (a: number) => g[half + a]!;
  const ring: DefocusPlan['ring'] = [];
  for (let i = -2 * half; i < n + 2 * half; i++) {
    for (let j = -2 * half; j < n + 2 * half; j++) {
      if (i >= 0 && i < n && j >= 0 && j < n) continue;
      let w = 0;
      for (let a = -half; a <= half; a++) {
        for (let b = -half; b <= half; b++) {
          const u = i + a;
          const v = j + b;
          if (u < -half || u >= n + half || v < -half || v >= n + half) continue;
          if (dext[(u + half) * ext + v + half]) w += gs(a) * gs(b) * d;
        }
      }
      if (w !== 0) ring.push({ i, j, w });
    }
  }
  const gHalf = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) gHalf[k] = gs(k);
  const plan = { r, half, g: gHalf, d, runs, ring };
  plans.set(key, plan);
  return plan;
}

/**
 * `cv2.filter2D(x, -1, disk(radius, aliasBlur))` per channel of an HWC float image: by the
 * decomposition above when the disk stays inside its grid (radius ≤ 6: no ring), else by FFT with
 * the float32 kernel (fft.ts) up to a 1024 × 1024 FFT grid, else by the decomposition.
 */
export function defocusFilter(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  radius: number,
  aliasBlur: number,
  method: 'auto' | 'decomposition' | 'fft' = 'auto',
): Float64Array {
  const { r, half, g, d, runs, ring } = defocusPlan(radius, aliasBlur);
  if (method === 'fft' || (method === 'auto' && ring.length > 0)) {
    // The disk touches the grid's edge (radius 8, 10): the ring costs a pass per tap, so an FFT is
    // cheaper unless the image is so large that its FFT grid would need > 2^20 points.
    const n = 2 * r + 1;
    const { fh, fw } = fftGrid(h, w, n, n);
    if (method === 'fft' || fh * fw <= 1 << 20) {
      const k = defocusKernel(radius, aliasBlur);
      return fftCorrelate2d(src, h, w, c, k.values, k.size, k.size);
    }
  }
  const P = r + 2 * half;
  const pw = w + 2 * P;
  const ph = h + 2 * P;
  const pad = padReflect101(src, h, w, c, P, P);
  const rowLen = pw * c;
  // Separable blur of the padded image (rows then columns); only the region the disk sum reads is needed.
  const tmp = new Float64Array(ph * rowLen);
  for (let y = 0; y < ph; y++) {
    const o = y * rowLen;
    for (let k = half * c; k < rowLen - half * c; k++) {
      let s = pad[o + k]! * g[0]!;
      for (let t = 1; t <= half; t++) s += (pad[o + k - t * c]! + pad[o + k + t * c]!) * g[t]!;
      tmp[o + k] = s;
    }
  }
  // Blurred rows with one leading zero per channel: prefix[(y·(pw + 1) + x)·c + ch] = Σ_{x' < x} blurred.
  const prefix = new Float64Array(ph * (pw + 1) * c);
  for (let y = half; y < ph - half; y++) {
    const po = y * (pw + 1) * c;
    for (let x = 0; x < pw; x++) {
      for (let ch = 0; ch < c; ch++) {
        const k = x * c + ch;
        let s = tmp[y * rowLen + k]! * g[0]!;
        for (let t = 1; t <= half; t++) s += (tmp[(y - t) * rowLen + k]! + tmp[(y + t) * rowLen + k]!) * g[t]!;
        prefix[po + k + c] = prefix[po + k]! + s;
      }
    }
  }
  const out = new Float64Array(h * w * c);
  const outLen = w * c;
  // Ring taps as flat arrays: offset of the tap in the padded image (for output row 0) and weight.
  const ringRow = Int32Array.from(ring, (t) => ((P + t.i - r) * pw + (P + t.j - r)) * c);
  const ringW = Float64Array.from(ring, (t) => t.w);
  const runA = Int32Array.from(runs, (run) => (P + run.u - r) * (pw + 1) * c + (P + run.v0 - r) * c);
  const runB = Int32Array.from(runs, (run) => (P + run.u - r) * (pw + 1) * c + (P + run.v1 + 1 - r) * c);
  const prefixRow = (pw + 1) * c;
  for (let y = 0; y < h; y++) {
    const o = y * outLen;
    // Disk sum of the blurred image: Σ over runs of d × (window sum), window = columns v0…v1 of row u.
    for (let q = 0; q < runA.length; q++) {
      const a = runA[q]! + y * prefixRow;
      const b = runB[q]! + y * prefixRow;
      for (let k = 0; k < outLen; k++) out[o + k] = out[o + k]! + (prefix[b + k]! - prefix[a + k]!);
    }
    for (let k = 0; k < outLen; k++) out[o + k] = out[o + k]! * d;
    for (let q = 0; q < ringW.length; q++) {
      const p = ringRow[q]! + y * pw * c;
      const wq = ringW[q]!;
      for (let k = 0; k < outLen; k++) out[o + k] = out[o + k]! - pad[p + k]! * wq;
    }
  }
  return out;
}
