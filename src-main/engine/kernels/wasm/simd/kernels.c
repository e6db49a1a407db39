/*
 * FundusLab's WebAssembly SIMD kernels, run on the heap of tfjs-backend-wasm (the module imports
 * that module's memory). Pointers are byte offsets into that heap; every function works only on
 * the buffers it is given: no static data, no stack (nothing here takes the address of a local), so
 * nothing of tfjs's memory is touched but the arguments. Built by scripts/build-wasm-kernels.sh into
 * kernels-binary.ts (see its header); C11, clang --target=wasm32 -msimd128.
 *
 * Layout: NHWC float32, channels innermost; "rows" = N·H·W positions of C channels each.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* Rows per block of the reductions: partial sums of a block are accumulated in float32 (registers),
 * blocks are summed in float64. */
#define BLOCK 16

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Adds the float32x4 partial sums v to the float64 sums at s[0..3]. */
static inline void add_f64x4(double *s, v128_t v) {
  v128_t lo = wasm_f64x2_promote_low_f32x4(v);
  v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
  wasm_v128_store(s, wasm_f64x2_add(wasm_v128_load(s), lo));
  wasm_v128_store(s + 2, wasm_f64x2_add(wasm_v128_load(s + 2), hi));
}

/*
 * Per-channel Σ (x − shift) and Σ (x − shift)² into s[0..C) and ss[0..C) (float64, zeroed here),
 * shift = the first row (shifted sums keep the variance exact when |mean| ≫ std).
 */
EXPORT(fl_moments)
void fl_moments(const float *x, int rows, int channels, double *s, double *ss) {
  int c4 = channels & ~3;
  for (int c = 0; c < channels; c++) s[c] = ss[c] = 0;
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = min_int(rows, r0 + BLOCK);
    for (int c = 0; c < c4; c += 4) {
      v128_t shift = wasm_v128_load(x + c);
      v128_t a = wasm_f32x4_splat(0), b = wasm_f32x4_splat(0);
      const float *p = x + (long)r0 * channels + c;
      for (int r = r0; r < r1; r++, p += channels) {
        v128_t v = wasm_f32x4_sub(wasm_v128_load(p), shift);
        a = wasm_f32x4_add(a, v);
        b = wasm_f32x4_add(b, wasm_f32x4_mul(v, v));
      }
      add_f64x4(s + c, a);
      add_f64x4(ss + c, b);
    }
    for (int c = c4; c < channels; c++) {
      float a = 0, b = 0, shift = x[c];
      const float *p = x + (long)r0 * channels + c;
      for (int r = r0; r < r1; r++, p += channels) {
        float v = *p - shift;
        a += v;
        b += v * v;
      }
      s[c] += a;
      ss[c] += b;
    }
  }
}

/* y = x·a + b per channel, then max(y, 0) when relu != 0. */
EXPORT(fl_scale_shift)
void fl_scale_shift(const float *x, int rows, int channels, const float *a, const float *b, int relu, float *y) {
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * channels;
    float *yr = y + (long)r * channels;
    for (int c = 0; c < c4; c += 4) {
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xr + c), wasm_v128_load(a + c)), wasm_v128_load(b + c));
      if (relu) v = wasm_f32x4_pmax(v, zero);
      wasm_v128_store(yr + c, v);
    }
    for (int c = c4; c < channels; c++) {
      float v = xr[c] * a[c] + b[c];
      yr[c] = relu && !(v > 0) ? 0 : v;
    }
  }
}

/*
 * Per-channel Σ g and Σ g·(x − mean) into sg, sgx (float64, zeroed here), g = dy, or dy where
 * y > 0 when y is not null (the gradient through a ReLU).
 */
EXPORT(fl_bn_grad_sums)
void fl_bn_grad_sums(const float *dy, const float *x, const float *y, int rows, int channels, const float *mean, double *sg, double *sgx) {
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int c = 0; c < channels; c++) sg[c] = sgx[c] = 0;
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = min_int(rows, r0 + BLOCK);
    for (int c = 0; c < c4; c += 4) {
      v128_t m = wasm_v128_load(mean + c);
      v128_t a = zero, b = zero;
      long off = (long)r0 * channels + c;
      for (int r = r0; r < r1; r++, off += channels) {
        v128_t g = wasm_v128_load(dy + off);
        if (y) g = wasm_v128_and(g, wasm_f32x4_gt(wasm_v128_load(y + off), zero));
        a = wasm_f32x4_add(a, g);
        b = wasm_f32x4_add(b, wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + off), m)));
      }
      add_f64x4(sg + c, a);
      add_f64x4(sgx + c, b);
    }
    for (int c = c4; c < channels; c++) {
      float a = 0, b = 0;
      long off = (long)r0 * channels + c;
      for (int r = r0; r < r1; r++, off += channels) {
        float g = y && !(y[off] > 0) ? 0 : dy[off];
        a += g;
        b += g * (x[off] - mean[c]);
      }
      sg[c] += a;
      sgx[c] += b;
    }
  }
}

/* dx = a·g − (x − mean)·k − b per channel, g as in fl_bn_grad_sums. */
EXPORT(fl_bn_grad_input)
void fl_bn_grad_input(const float *dy, const float *x, const float *y, int rows, int channels, const float *mean, const float *a, const float *k, const float *b, float *dx) {
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++) {
    long off = (long)r * channels;
    for (int c = 0; c < c4; c += 4) {
      v128_t g = wasm_v128_load(dy + off + c);
      if (y) g = wasm_v128_and(g, wasm_f32x4_gt(wasm_v128_load(y + off + c), zero));
      v128_t xc = wasm_f32x4_sub(wasm_v128_load(x + off + c), wasm_v128_load(mean + c));
      v128_t v = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(a + c), g), wasm_f32x4_mul(xc, wasm_v128_load(k + c))), wasm_v128_load(b + c));
      wasm_v128_store(dx + off + c, v);
    }
    for (int c = c4; c < channels; c++) {
      float g = y && !(y[off + c] > 0) ? 0 : dy[off + c];
      dx[off + c] = a[c] * g - (x[off + c] - mean[c]) * k[c] - b[c];
    }
  }
}

/*
 * Gradient of a max pool (NHWC, dilation 1): dx (zeroed here) gets each dy at the position of its
 * window's maximum — the first one in row-major window order on ties, none when every value is
 * −∞ or NaN (as tfjs's reference, maxPoolPositions with '>').
 */
EXPORT(fl_maxpool_grad)
void fl_maxpool_grad(const float *x, const float *dy, float *dx, int batch, int in_h, int in_w, int channels, int out_h, int out_w,
                     int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left) {
  int c4 = channels & ~3;
  long image = (long)in_h * in_w * channels;
  for (long i = 0, n = (long)batch * image; i < n; i++) dx[i] = 0;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * image;
    float *dxb = dx + b * image;
    for (int oh = 0; oh < out_h; oh++) {
      int h0 = oh * stride_h - pad_top, h1 = min_int(in_h, h0 + filter_h);
      if (h0 < 0) h0 = 0;
      for (int ow = 0; ow < out_w; ow++) {
        int w0 = ow * stride_w - pad_left, w1 = min_int(in_w, w0 + filter_w);
        if (w0 < 0) w0 = 0;
        const float *g = dy + (((long)b * out_h + oh) * out_w + ow) * channels;
        for (int c = 0; c < c4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              int pos = h * in_w + w;
              v128_t v = wasm_v128_load(xb + (long)pos * channels + c);
              v128_t gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              where = wasm_v128_bitselect(wasm_i32x4_splat(pos), where, gt);
            }
          }
          int p0 = wasm_i32x4_extract_lane(where, 0), p1 = wasm_i32x4_extract_lane(where, 1);
          int p2 = wasm_i32x4_extract_lane(where, 2), p3 = wasm_i32x4_extract_lane(where, 3);
          if (p0 >= 0) dxb[(long)p0 * channels + c] += g[c];
          if (p1 >= 0) dxb[(long)p1 * channels + c + 1] += g[c + 1];
          if (p2 >= 0) dxb[(long)p2 * channels + c + 2] += g[c + 2];
          if (p3 >= 0) dxb[(long)p3 * channels + c + 3] += g[c + 3];
        }
        for (int c = c4; c < channels; c++) {
          float best = -__builtin_inff();
          int where = -1;
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              float v = xb[(long)(h * in_w + w) * channels + c];
              if (v > best) {
                best = v;
                where = h * in_w + w;
              }
            }
          }
          if (where >= 0) dxb[(long)where * channels + c] += g[c];
        }
      }
    }
  }
}

/* Transposes the 4x4 block of rows r0..r3 (4 floats each). */
static inline void transpose4(v128_t *r0, v128_t *r1, v128_t *r2, v128_t *r3) {
  v128_t t0 = wasm_i32x4_shuffle(*r0, *r1, 0, 4, 1, 5);
  v128_t t1 = wasm_i32x4_shuffle(*r0, *r1, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(*r2, *r3, 0, 4, 1, 5);
  v128_t t3 = wasm_i32x4_shuffle(*r2, *r3, 2, 6, 3, 7);
  *r0 = wasm_i64x2_shuffle(t0, t2, 0, 2);
  *r1 = wasm_i64x2_shuffle(t0, t2, 1, 3);
  *r2 = wasm_i64x2_shuffle(t1, t3, 0, 2);
  *r3 = wasm_i64x2_shuffle(t1, t3, 1, 3);
}

/* dst [cols, rows] = transpose of src [rows, cols], in 32x32 tiles of 4x4 SIMD blocks. */
EXPORT(fl_transpose)
void fl_transpose(const float *src, int rows, int cols, float *dst) {
  const int T = 32;
  for (int r0 = 0; r0 < rows; r0 += T) {
    int r1 = min_int(rows, r0 + T);
    for (int c0 = 0; c0 < cols; c0 += T) {
      int c1 = min_int(cols, c0 + T);
      int r = r0;
      for (; r + 4 <= r1; r += 4) {
        int c = c0;
        for (; c + 4 <= c1; c += 4) {
          v128_t a = wasm_v128_load(src + (long)r * cols + c), b = wasm_v128_load(src + (long)(r + 1) * cols + c);
          v128_t d = wasm_v128_load(src + (long)(r + 2) * cols + c), e = wasm_v128_load(src + (long)(r + 3) * cols + c);
          transpose4(&a, &b, &d, &e);
          wasm_v128_store(dst + (long)c * rows + r, a);
          wasm_v128_store(dst + (long)(c + 1) * rows + r, b);
          wasm_v128_store(dst + (long)(c + 2) * rows + r, d);
          wasm_v128_store(dst + (long)(c + 3) * rows + r, e);
        }
        for (; c < c1; c++)
          for (int k = 0; k < 4; k++) dst[(long)c * rows + r + k] = src[(long)(r + k) * cols + c];
      }
      for (; r < r1; r++)
        for (int c = c0; c < c1; c++) dst[(long)c * rows + r] = src[(long)r * cols + c];
    }
  }
}

/* The row of x that output position p reads through filter tap (i, j), or null in the padding. */
static inline const float *im2col_row(const float *x, long p, int in_h, int in_w, int channels, int i, int j, int sh, int sw, int pt, int pl,
                                      int out_h, int out_w) {
  int ow = (int)(p % out_w), oh = (int)((p / out_w) % out_h), n = (int)(p / ((long)out_w * out_h));
  int h = oh * sh + i - pt, w = ow * sw + j - pl;
  return h >= 0 && h < in_h && w >= 0 && w < in_w ? x + (((long)n * in_h + h) * in_w + w) * channels : 0;
}

/*
 * Transposed im2col of x [batch, in_h, in_w, C] for a kh x kw filter: dst [kh, kw, C, P] with
 * P = batch·out_h·out_w positions, dst[((i·kw + j)·C + c)·P + p] = x[n, oh·sh + i − pt, ow·sw + j − pl, c]
 * (0 outside x), p = (n·out_h + oh)·out_w + ow. A filter gradient is then one matrix product
 * dst · dy [P, co] = dW [kh·kw·C, co].
 */
EXPORT(fl_im2col_t)
void fl_im2col_t(const float *x, int batch, int in_h, int in_w, int channels, int kh, int kw, int sh, int sw, int pt, int pl,
                 int out_h, int out_w, float *dst) {
  long positions = (long)batch * out_h * out_w;
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int i = 0; i < kh; i++) {
    for (int j = 0; j < kw; j++) {
      float *tap = dst + (long)(i * kw + j) * channels * positions;
      long p = 0;
      for (; p + 4 <= positions; p += 4) {
        /* The source rows of the 4 positions (null: padding). */
        const float *s0 = im2col_row(x, p, in_h, in_w, channels, i, j, sh, sw, pt, pl, out_h, out_w);
        const float *s1 = im2col_row(x, p + 1, in_h, in_w, channels, i, j, sh, sw, pt, pl, out_h, out_w);
        const float *s2 = im2col_row(x, p + 2, in_h, in_w, channels, i, j, sh, sw, pt, pl, out_h, out_w);
        const float *s3 = im2col_row(x, p + 3, in_h, in_w, channels, i, j, sh, sw, pt, pl, out_h, out_w);
        int c = 0;
        for (; c < c4; c += 4) {
          v128_t a = s0 ? wasm_v128_load(s0 + c) : zero, b = s1 ? wasm_v128_load(s1 + c) : zero;
          v128_t d = s2 ? wasm_v128_load(s2 + c) : zero, e = s3 ? wasm_v128_load(s3 + c) : zero;
          transpose4(&a, &b, &d, &e);
          wasm_v128_store(tap + (long)c * positions + p, a);
          wasm_v128_store(tap + (long)(c + 1) * positions + p, b);
          wasm_v128_store(tap + (long)(c + 2) * positions + p, d);
          wasm_v128_store(tap + (long)(c + 3) * positions + p, e);
        }
        for (; c < channels; c++) {
          float *t = tap + (long)c * positions + p;
          t[0] = s0 ? s0[c] : 0;
          t[1] = s1 ? s1[c] : 0;
          t[2] = s2 ? s2[c] : 0;
          t[3] = s3 ? s3[c] : 0;
        }
      }
      for (; p < positions; p++) {
        const float *s0 = im2col_row(x, p, in_h, in_w, channels, i, j, sh, sw, pt, pl, out_h, out_w);
        for (int c = 0; c < channels; c++) tap[(long)c * positions + p] = s0 ? s0[c] : 0;
      }
    }
  }
}

/*
 * One phase of a strided tensor: dst [batch, height, width, C] gets src [batch, hu, wv, C] at rows
 * sh·u + a and columns sw·v + b (src null: zeros there), hu = ⌈(height − a)/sh⌉, wv = ⌈(width − b)/sw⌉.
 * Writing every phase (a, b) fills dst: the input gradient of a strided convolution is assembled
 * from one stride-1 convolution per phase.
 */
EXPORT(fl_scatter_phase)
void fl_scatter_phase(const float *src, int batch, int height, int width, int channels, int sh, int sw, int a, int b, float *dst) {
  int hu = (height - a + sh - 1) / sh, wv = (width - b + sw - 1) / sw;
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int n = 0; n < batch; n++) {
    for (int u = 0; u < hu; u++) {
      for (int v = 0; v < wv; v++) {
        float *d = dst + (((long)n * height + (long)u * sh + a) * width + (long)v * sw + b) * channels;
        if (src) {
          const float *s = src + (((long)n * hu + u) * wv + v) * channels;
          int c = 0;
          for (; c < c4; c += 4) wasm_v128_store(d + c, wasm_v128_load(s + c));
          for (; c < channels; c++) d[c] = s[c];
        } else {
          int c = 0;
          for (; c < c4; c += 4) wasm_v128_store(d + c, zero);
          for (; c < channels; c++) d[c] = 0;
        }
      }
    }
  }
}

/* The inverse: dst [batch, hu, wv, C] = src [batch, height, width, C] at rows sh·u + a, columns sw·v + b. */
EXPORT(fl_gather_phase)
void fl_gather_phase(const float *src, int batch, int height, int width, int channels, int sh, int sw, int a, int b, float *dst) {
  int hu = (height - a + sh - 1) / sh, wv = (width - b + sw - 1) / sw;
  int c4 = channels & ~3;
  for (int n = 0; n < batch; n++) {
    for (int u = 0; u < hu; u++) {
      for (int v = 0; v < wv; v++) {
        const float *s = src + (((long)n * height + (long)u * sh + a) * width + (long)v * sw + b) * channels;
        float *d = dst + (((long)n * hu + u) * wv + v) * channels;
        int c = 0;
        for (; c < c4; c += 4) wasm_v128_store(d + c, wasm_v128_load(s + c));
        for (; c < channels; c++) d[c] = s[c];
      }
    }
  }
}
