/**
 * 2-D correlation by FFT (radix-2, complex, float64), for the large defocus kernels — what
 * `cv2.filter2D` itself switches to for large kernels. The image is extended with
 * BORDER_REFLECT_101 by the kernel radius, zero-padded to powers of two, and correlated with the
 * kernel as a circular convolution with the flipped kernel; two channels travel as the real and
 * imaginary parts of one complex signal (the kernel is real). Round-off is ~1e-15 of the values.
 */
import { padReflect101 } from './filters';
import { nextPowerOfTwo } from './plasma';

interface FftTables {
  n: number;
  rev: Int32Array;
  cos: Float64Array;
  sin: Float64Array;
}

const tables = new Map<number, FftTables>();

function fftTables(n: number): FftTables {
  let t = tables.get(n);
  if (t) return t;
  const bits = Math.round(Math.log2(n));
  const rev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  t = { n, rev, cos, sin };
  tables.set(n, t);
  return t;
}

/** In-place FFT of (re, im)[off … off + n·stride) with stride; inverse without the 1/n scale. */
function fft1d(
  re: Float64Array,
  im: Float64Array,
  t: FftTables,
  inverse: boolean,
  buf: { re: Float64Array; im: Float64Array },
  off: number,
  stride: number,
): void {
  const { n, rev, cos, sin } = t;
  const br = buf.re;
  const bi = buf.im;
  for (let i = 0; i < n; i++) {
    br[rev[i]!] = re[off + i * stride]!;
    bi[rev[i]!] = im[off + i * stride]!;
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sign * sin[k * step]!;
        const a = start + k;
        const b = a + half;
        const xr = br[b]! * wr - bi[b]! * wi;
        const xi = br[b]! * wi + bi[b]! * wr;
        br[b] = br[a]! - xr;
        bi[b] = bi[a]! - xi;
        br[a] = br[a]! + xr;
        bi[a] = bi[a]! + xi;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    re[off + i * stride] = br[i]!;
    im[off + i * stride] = bi[i]!;
  }
}

/** 2-D FFT of an fh × fw complex array (row-major), in place. */
function fft2d(re: Float64Array, im: Float64Array, fh: number, fw: number, inverse: boolean): void {
  const tw = fftTables(fw);
  const th = fftTables(fh);
  const buf = { re: new Float64Array(Math.max(fh, fw)), im: new Float64Array(Math.max(fh, fw)) };
  for (let y = 0; y < fh; y++) fft1d(re, im, tw, inverse, buf, y * fw, 1);
  for (let x = 0; x < fw; x++) fft1d(re, im, th, inverse, buf, x, fw);
}

/** Side lengths of the FFT grid for an h × w image and a kh × kw kernel. */
export function fftGrid(h: number, w: number, kh: number, kw: number): { fh: number; fw: number } {
  return { fh: nextPowerOfTwo(h + kh - 1), fw: nextPowerOfTwo(w + kw - 1) };
}

/**
 * `cv2.filter2D(x, -1, kernel)` per channel of an HWC float image (correlation, anchor at the
 * centre, BORDER_REFLECT_101) computed by FFT.
 */
export function fftCorrelate2d(
  src: ArrayLike<number>,
  h: number,
  w: number,
  c: number,
  kernel: ArrayLike<number>,
  kh: number,
  kw: number,
): Float64Array {
  const ry = (kh - 1) >> 1;
  const rx = (kw - 1) >> 1;
  const ph = h + 2 * ry;
  const pw = w + 2 * rx;
  const pad = padReflect101(src, h, w, c, ry, rx);
  const { fh, fw } = fftGrid(h, w, kh, kw);
  // Flipped kernel: convolution with it is correlation with the kernel.
  const kre = new Float64Array(fh * fw);
  const kim = new Float64Array(fh * fw);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) kre[a * fw + b] = kernel[(kh - 1 - a) * kw + (kw - 1 - b)]!;
  fft2d(kre, kim, fh, fw, false);
  const out = new Float64Array(h * w * c);
  const scale = 1 / (fh * fw);
  for (let ch = 0; ch < c; ch += 2) {
    const pair = ch + 1 < c;
    const re = new Float64Array(fh * fw);
    const im = new Float64Array(fh * fw);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const s = (y * pw + x) * c + ch;
        re[y * fw + x] = pad[s]!;
        if (pair) im[y * fw + x] = pad[s + 1]!;
      }
    }
    fft2d(re, im, fh, fw, false);
    for (let i = 0; i < re.length; i++) {
      const a = re[i]!;
      const b = im[i]!;
      re[i] = a * kre[i]! - b * kim[i]!;
      im[i] = a * kim[i]! + b * kre[i]!;
    }
    fft2d(re, im, fh, fw, true);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const q = (y + kh - 1) * fw + (x + kw - 1);
        const o = (y * w + x) * c + ch;
        out[o] = re[q]! * scale;
        if (pair) out[o + 1] = im[q]! * scale;
      }
    }
  }
  return out;
}
