/*
 * The per-image loops of the training augmentation (src-main/engine/augment/cpu.ts) in C, for the
 * augmentation worker thread: bilinear resized crop and rotation, colour blends, hue shift and the
 * Gaussian blur. Every function gives the same float32 values, bit for bit, as its cpu.ts
 * counterpart: a step cpu.ts rounds to float32 (`f32`) is a float operation here (float + − × ÷
 * give the correctly rounded result of the exact value, as rounding the double result does), sums
 * cpu.ts keeps in double stay in double, and Math.max / Math.min / the clamps keep JavaScript's NaN
 * and signed-zero rules. This file is compiled with -ffp-contract=off: a fused multiply-add would
 * round differently. Angles' cosines and sines and the blur kernel come from cpu.ts (same libm).
 */
#include "aug.h"

#include <math.h>
#include <stdlib.h>

/* Math.max / Math.min: NaN if either is NaN; +0 is larger than −0. */
static float js_max(float a, float b) {
  if (a != a || b != b) return NAN;
  if (a > b) return a;
  if (b > a) return b;
  return signbit(a) ? b : a;
}

static float js_min(float a, float b) {
  if (a != a || b != b) return NAN;
  if (a < b) return a;
  if (b < a) return b;
  return signbit(a) ? a : b;
}

/* cpu.ts clamp / clip: 1 above 1, 0 below 0, otherwise (NaN, −0 included) unchanged. */
static float clip01(float v) { return v > 1.0f ? 1.0f : v < 0.0f ? 0.0f : v; }

/* floor() without a library call (the generic build has no SSE4.1 rounding instruction): exact for every double, −0 kept. */
static double floor_(double x) {
  if (!(x > -4.0e15 && x < 4.0e15) || x == 0) return floor(x);
  const double t = (double)(long long)x;
  return t > x ? t - 1 : t;
}

/* cpu.ts mod1: mod(a, 1) with the sign of the divisor, signed zero as `%` gives it. */
static double mod1(double a) {
  if (a > 0) return a - floor_(a);
  if (a < 0) {
    const double c = -floor_(-a); /* ceil(a), +0 instead of −0 above −1: a − c is the same */
    double r = a - c + 1;
    return r == 1 ? 0 : r;
  }
  return a == 0 ? a : NAN;
}

/* tfjs's cpu Mod kernel for b > 0 (cpu.ts mod). */
static double mod_pos(double a, double b) {
  double rem = fmod(a, b);
  return a >= 0 ? rem : fmod(rem + b, b);
}

/* cpu.ts axisSamples: torch align_corners=False source positions along one axis, clamped inside the crop. */
static void axis_sample(long start, long length, long out, long o, long *i0, long *i1, double *frac) {
  double scale = (double)length / (double)out;
  double src = scale * ((double)o + 0.5) - 0.5;
  if (!(src > 0)) src = 0; /* Math.max(0, src): src is never NaN here */
  double f = floor(src);
  double lo = f < (double)(length - 1) ? f : (double)(length - 1);
  *i0 = start + (long)lo;
  *i1 = start + (lo + 1 < (double)(length - 1) ? (long)lo + 1 : length - 1);
  *frac = lo == f ? src - f : 0;
}

/* cpu.ts bilinear: float32 weights and products, summed in double, rounded once. Offsets −1: outside (0). */
static void bilinear(const float *src, long o00, long o01, long o10, long o11, double fy, double fx, float *dst, int c) {
  float w00 = (float)((1 - fy) * (1 - fx));
  float w01 = (float)((1 - fy) * fx);
  float w10 = (float)(fy * (1 - fx));
  float w11 = (float)(fy * fx);
  for (int ch = 0; ch < c; ch++) {
    float v00 = o00 < 0 ? 0.0f : src[o00 + ch] * w00;
    float v01 = o01 < 0 ? 0.0f : src[o01 + ch] * w01;
    float v10 = o10 < 0 ? 0.0f : src[o10 + ch] * w10;
    float v11 = o11 < 0 ? 0.0f : src[o11 + ch] * w11;
    dst[ch] = (float)((double)v00 + (double)v01 + (double)v10 + (double)v11);
  }
}

int fl_aug_resized_crop(const float *src, int h, int w, int c, int top, int left, int height, int width, float *dst, int out_h,
                        int out_w) {
  (void)h;
  /* the column samples, the same for every output row */
  long *xs = malloc(sizeof(long) * 2 * (size_t)out_w);
  double *fxs = malloc(sizeof(double) * (size_t)out_w);
  if (!xs || !fxs) {
    free(xs);
    free(fxs);
    return -1;
  }
  for (int ox = 0; ox < out_w; ox++) axis_sample(left, width, out_w, ox, &xs[2 * ox], &xs[2 * ox + 1], &fxs[ox]);
  for (int oy = 0; oy < out_h; oy++) {
    long y0, y1;
    double fy;
    axis_sample(top, height, out_h, oy, &y0, &y1, &fy);
    const long r0 = y0 * w, r1 = y1 * w;
    for (int ox = 0; ox < out_w; ox++) {
      const long x0 = xs[2 * ox], x1 = xs[2 * ox + 1];
      bilinear(src, (r0 + x0) * c, (r0 + x1) * c, (r1 + x0) * c, (r1 + x1) * c, fy, fxs[ox], dst + ((long)oy * out_w + ox) * c, c);
    }
  }
  free(xs);
  free(fxs);
  return 0;
}

void fl_aug_rotate(const float *src, int h, int w, int c, double cos_a, double sin_a, float *dst) {
  const double cy = (double)(h - 1) / 2, cx = (double)(w - 1) / 2;
  for (int oy = 0; oy < h; oy++) {
    for (int ox = 0; ox < w; ox++) {
      const double u = ox - cx, v = oy - cy;
      const double sx = cos_a * u - sin_a * v + cx;
      const double sy = sin_a * u + cos_a * v + cy;
      const double x0 = floor(sx), y0 = floor(sy);
      long o[4];
      for (int k = 0; k < 4; k++) {
        const double yy = y0 + (k >> 1), xx = x0 + (k & 1);
        o[k] = yy >= 0 && yy < h && xx >= 0 && xx < w ? ((long)yy * w + (long)xx) * c : -1;
      }
      bilinear(src, o[0], o[1], o[2], o[3], sy - y0, sx - x0, dst + ((long)oy * w + ox) * c, c);
    }
  }
}

static const float GRAY0 = 0.299f, GRAY1 = 0.587f, GRAY2 = 0.114f;

/* cpu.ts lum: float32 products, summed in double, rounded once. */
static float lum(const float *p) { return (float)((double)(p[0] * GRAY0) + (double)(p[1] * GRAY1) + (double)(p[2] * GRAY2)); }

void fl_aug_blend(float *d, long px, double factor, int target) {
  const long n = px * 3;
  if (factor == 1) {
    for (long i = 0; i < n; i++) d[i] = js_min(1.0f, js_max(0.0f, d[i]));
    return;
  }
  const float f = (float)factor;
  const float g = (float)(1 - (double)f);
  if (target == FL_BLEND_BLACK) {
    const float zero = g * 0.0f;
    for (long i = 0; i < n; i++) d[i] = clip01(f * d[i] + zero);
  } else if (target == FL_BLEND_MEAN) {
    double sum = 0;
    for (long p = 0; p < px; p++) sum += (float)((double)lum(d + p * 3) / (double)px);
    const float m = g * (float)sum;
    for (long i = 0; i < n; i++) d[i] = clip01(f * d[i] + m);
  } else {
    for (long p = 0; p < px; p++) {
      float *q = d + p * 3;
      const float t = g * lum(q);
      for (int ch = 0; ch < 3; ch++) q[ch] = clip01(f * q[ch] + t);
    }
  }
}

/* hsvToRgb's (R, G, B) per sector as indices into {v, q, p, t, 0}; row 6: NaN → black. */
static const unsigned char SECTOR[7][3] = {{0, 3, 2}, {1, 0, 2}, {2, 0, 3}, {2, 1, 0}, {3, 2, 0}, {0, 2, 1}, {4, 4, 4}};

void fl_aug_hue(float *d, long px, double shift) {
  const float sh = (float)shift;
  for (long p = 0; p < px; p++) {
    float *o = d + p * 3;
    const float r = o[0], gg = o[1], b = o[2];
    /* rgbToHsv */
    const float maxc = js_max(js_max(r, gg), b);
    const float minc = js_min(js_min(r, gg), b);
    const int eqc = maxc == minc;
    const float cr = maxc - minc;
    const float s = cr / (eqc ? 1.0f : maxc);
    const float cr_div = eqc ? 1.0f : cr;
    const float rc = (maxc - r) / cr_div;
    const float gc = (maxc - gg) / cr_div;
    const float bc = (maxc - b) / cr_div;
    const int is_r = maxc == r;
    const int is_g = maxc == gg && !is_r;
    const int is_b = maxc != gg && !is_r;
    /* all three computed, then selected (no branch on the pixel's colour) */
    const float hr0 = bc - gc, hg0 = 2.0f + (rc - bc), hb0 = 4.0f + (gc - rc);
    const float hr = is_r ? hr0 : 0.0f;
    const float hg = is_g ? hg0 : 0.0f;
    const float hb = is_b ? hb0 : 0.0f;
    const float h = (float)mod1((double)((hr + hg + hb) / 6.0f + 1.0f));
    /* shift */
    const float h2 = (float)mod1((double)(h + sh));
    /* hsvToRgb */
    const float v = maxc;
    const float h6 = h2 * 6.0f;
    const double fi = floor_((double)h6);
    const float fr = (float)((double)h6 - fi);
    const double i = fi >= 0 && fi < 6 ? fi : (float)mod_pos(fi, 6);
    const float pp = clip01(v * (1.0f - s));
    const float qq = clip01(v * (1.0f - s * fr));
    const float tt = clip01(v * (1.0f - s * (1.0f - fr)));
    /* sector i (0 … 5) picks R, G, B among v, q, p, t by table, without branches the data would
     * mispredict; NaN (from a NaN input) gives black, as cpu.ts */
    const float pick[5] = {v, qq, pp, tt, 0.0f};
    const unsigned char *sel = SECTOR[i == i ? (int)i : 6];
    o[0] = pick[sel[0]];
    o[1] = pick[sel[1]];
    o[2] = pick[sel[2]];
  }
}

/* Reflect padding's source index for i in [−pad, n + pad). */
static long reflect(long i, long n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

void fl_aug_blur(const float *src, int h, int w, int c, const float *kern, int k, float *dst, float *col, float *padded) {
  const long row = (long)w * c;
  const int pad = (k - 1) / 2;
  /* vertical pass: output row y sums the padded rows y − pad … y + pad, tap by tap, rounding each time */
  for (long y = 0; y < h; y++) {
    float *acc = col + y * row;
    for (long i = 0; i < row; i++) acc[i] = 0.0f;
    for (int t = 0; t < k; t++) {
      const double kt = kern[t];
      const float *s = src + reflect(y + t - pad, h) * row;
      for (long i = 0; i < row; i++) acc[i] = (float)((double)acc[i] + (double)s[i] * kt);
    }
  }
  /* horizontal pass over a reflect-padded copy of each row of the vertical pass */
  for (long y = 0; y < h; y++) {
    const float *r = col + y * row;
    for (long xx = -pad; xx < w + pad; xx++)
      for (int ch = 0; ch < c; ch++) padded[(xx + pad) * c + ch] = r[reflect(xx, w) * c + ch];
    float *out = dst + y * row;
    for (long i = 0; i < row; i++) out[i] = 0.0f;
    for (int t = 0; t < k; t++) {
      const double kt = kern[t];
      const float *s = padded + (long)t * c;
      for (long i = 0; i < row; i++) out[i] = (float)((double)out[i] + (double)s[i] * kt);
    }
  }
}
