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

/* Rows per block of the reductions: partial sums over a block are kept in float32 (in `part`, hot in
 * the L1 cache), blocks are added up in float64. */
#define BLOCK 16

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* s[0..n) += part[0..n) (float32 into float64), then part = 0. */
static void flush_partial(float *part, double *s, int n) {
  int n4 = n & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int c = 0; c < n4; c += 4) {
    v128_t v = wasm_v128_load(part + c);
    v128_t lo = wasm_f64x2_promote_low_f32x4(v);
    v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
    wasm_v128_store(s + c, wasm_f64x2_add(wasm_v128_load(s + c), lo));
    wasm_v128_store(s + c + 2, wasm_f64x2_add(wasm_v128_load(s + c + 2), hi));
    wasm_v128_store(part + c, zero);
  }
  for (int c = n4; c < n; c++) {
    s[c] += part[c];
    part[c] = 0;
  }
}

static void zero_sums(float *part, double *s, double *ss, int channels) {
  for (int c = 0; c < 2 * channels; c++) part[c] = 0;
  for (int c = 0; c < channels; c++) s[c] = ss[c] = 0;
}

/*
 * Per-channel Σ (x − shift) and Σ (x − shift)² into s[0..C) and ss[0..C) (float64, zeroed here);
 * shift [C] is a row of x (shifted sums keep the variance exact when |mean| ≫ std). `part` is
 * scratch for 2C floats. Rows are read in order (one sequential stream).
 */
EXPORT(fl_moments)
void fl_moments(const float *x, int rows, int channels, const float *shift, float *part, double *s, double *ss) {
  int c4 = channels & ~3;
  float *pa = part, *pb = part + channels;
  zero_sums(part, s, ss, channels);
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = min_int(rows, r0 + BLOCK);
    for (int r = r0; r < r1; r++) {
      const float *xr = x + (long)r * channels;
      int c = 0;
      for (; c < c4; c += 4) {
        v128_t v = wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(shift + c));
        wasm_v128_store(pa + c, wasm_f32x4_add(wasm_v128_load(pa + c), v));
        wasm_v128_store(pb + c, wasm_f32x4_add(wasm_v128_load(pb + c), wasm_f32x4_mul(v, v)));
      }
      for (; c < channels; c++) {
        float v = xr[c] - shift[c];
        pa[c] += v;
        pb[c] += v * v;
      }
    }
    flush_partial(pa, s, channels);
    flush_partial(pb, ss, channels);
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
 * Per-channel Σ g and Σ g·(x − mean) into sg, sgx (float64, zeroed here), g = dy, or with relu
 * dy where the forward output x·fa + fb (fa, fb: the forward's fl_scale_shift coefficients,
 * recomputed bit for bit) is > 0. `part` is scratch for 2C floats.
 */
EXPORT(fl_bn_grad_sums)
void fl_bn_grad_sums(const float *dy, const float *x, const float *fa, const float *fb, int relu, int rows, int channels, const float *mean,
                     float *part, double *sg, double *sgx) {
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  float *pa = part, *pb = part + channels;
  zero_sums(part, sg, sgx, channels);
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = min_int(rows, r0 + BLOCK);
    for (int r = r0; r < r1; r++) {
      long off = (long)r * channels;
      int c = 0;
      for (; c < c4; c += 4) {
        v128_t xv = wasm_v128_load(x + off + c);
        v128_t g = wasm_v128_load(dy + off + c);
        if (relu) g = wasm_v128_and(g, wasm_f32x4_gt(wasm_f32x4_add(wasm_f32x4_mul(xv, wasm_v128_load(fa + c)), wasm_v128_load(fb + c)), zero));
        wasm_v128_store(pa + c, wasm_f32x4_add(wasm_v128_load(pa + c), g));
        wasm_v128_store(pb + c, wasm_f32x4_add(wasm_v128_load(pb + c), wasm_f32x4_mul(g, wasm_f32x4_sub(xv, wasm_v128_load(mean + c)))));
      }
      for (; c < channels; c++) {
        float xv = x[off + c];
        float g = relu && !(xv * fa[c] + fb[c] > 0) ? 0 : dy[off + c];
        pa[c] += g;
        pb[c] += g * (xv - mean[c]);
      }
    }
    flush_partial(pa, sg, channels);
    flush_partial(pb, sgx, channels);
  }
}

/* dx = a·g − (x − mean)·k − b per channel, g as in fl_bn_grad_sums. */
EXPORT(fl_bn_grad_input)
void fl_bn_grad_input(const float *dy, const float *x, const float *fa, const float *fb, int relu, int rows, int channels, const float *mean,
                      const float *a, const float *k, const float *b, float *dx) {
  int c4 = channels & ~3;
  v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++) {
    long off = (long)r * channels;
    for (int c = 0; c < c4; c += 4) {
      v128_t xv = wasm_v128_load(x + off + c);
      v128_t g = wasm_v128_load(dy + off + c);
      if (relu) g = wasm_v128_and(g, wasm_f32x4_gt(wasm_f32x4_add(wasm_f32x4_mul(xv, wasm_v128_load(fa + c)), wasm_v128_load(fb + c)), zero));
      v128_t xc = wasm_f32x4_sub(xv, wasm_v128_load(mean + c));
      v128_t v = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(a + c), g), wasm_f32x4_mul(xc, wasm_v128_load(k + c))), wasm_v128_load(b + c));
      wasm_v128_store(dx + off + c, v);
    }
    for (int c = c4; c < channels; c++) {
      float xv = x[off + c];
      float g = relu && !(xv * fa[c] + fb[c] > 0) ? 0 : dy[off + c];
      dx[off + c] = a[c] * g - (xv - mean[c]) * k[c] - b[c];
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

/*
 * dst [cols, rows] = transpose of src [rows, cols], dst rows dst_stride floats apart (≥ rows: a
 * slice of src's rows fills the same slice of each dst row). Blocks of 4 rows x 16 columns: four 4x4 SIMD
 * transposes read whole cache lines of src and write 16 bytes to each of 16 rows of dst, which
 * advance together (16 sequential write streams).
 */
EXPORT(fl_transpose)
void fl_transpose(const float *src, int rows, int cols, float *dst, int dst_stride) {
  int c16 = cols & ~15, r4 = rows & ~3;
  for (int c0 = 0; c0 < c16; c0 += 16) {
    for (int r = 0; r < r4; r += 4) {
      const float *s = src + (long)r * cols + c0;
      float *d = dst + (long)c0 * dst_stride + r;
      for (int k = 0; k < 16; k += 4) {
        v128_t a = wasm_v128_load(s + k), b = wasm_v128_load(s + cols + k);
        v128_t e = wasm_v128_load(s + 2 * (long)cols + k), f = wasm_v128_load(s + 3 * (long)cols + k);
        transpose4(&a, &b, &e, &f);
        wasm_v128_store(d + (long)k * dst_stride, a);
        wasm_v128_store(d + (long)(k + 1) * dst_stride, b);
        wasm_v128_store(d + (long)(k + 2) * dst_stride, e);
        wasm_v128_store(d + (long)(k + 3) * dst_stride, f);
      }
    }
    for (int r = r4; r < rows; r++)
      for (int c = c0; c < c0 + 16; c++) dst[(long)c * dst_stride + r] = src[(long)r * cols + c];
  }
  for (int r = 0; r < rows; r++)
    for (int c = c16; c < cols; c++) dst[(long)c * dst_stride + r] = src[(long)r * cols + c];
}

/*
 * Transposed im2col of x [batch, in_h, in_w, C] for a kh x kw filter: dst [kh, kw, C, P] with
 * P = batch·out_h·out_w positions, dst[((i·kw + j)·C + c)·P + p] = x[n, oh·sh + i − pt, ow·sw + j − pl, c]
 * (0 outside x), p = (n·out_h + oh)·out_w + ow. A filter gradient is then one matrix product
 * dst · dy [P, co] = dW [kh·kw·C, co]. Writes taps tap0 ≤ i·kw + j < tap1 only (a slice per thread).
 * `table` is scratch for P ints (each position's row of x for the current tap, −1 in the padding).
 * Blocks of 4 positions x 16 channels, as fl_transpose.
 */
EXPORT(fl_im2col_t)
void fl_im2col_t(const float *x, int batch, int in_h, int in_w, int channels, int kh, int kw, int sh, int sw, int pt, int pl,
                 int out_h, int out_w, int tap0, int tap1, int *table, float *dst) {
  long positions = (long)batch * out_h * out_w;
  long p4 = positions & ~3L;
  int c16 = channels & ~15;
  v128_t zero = wasm_f32x4_splat(0);
  for (int t = tap0; t < tap1; t++) {
    int i = t / kw, j = t % kw;
    {
      float *tap = dst + (long)t * channels * positions;
      long p = 0;
      for (int n = 0; n < batch; n++) {
        for (int oh = 0; oh < out_h; oh++) {
          int h = oh * sh + i - pt;
          for (int ow = 0; ow < out_w; ow++, p++) {
            int w = ow * sw + j - pl;
            table[p] = h >= 0 && h < in_h && w >= 0 && w < in_w ? (int)((((long)n * in_h + h) * in_w + w) * channels) : -1;
          }
        }
      }
      for (int c0 = 0; c0 < c16; c0 += 16) {
        for (p = 0; p < p4; p += 4) {
          int t0 = table[p], t1 = table[p + 1], t2 = table[p + 2], t3 = table[p + 3];
          float *d = tap + (long)c0 * positions + p;
          for (int k = 0; k < 16; k += 4) {
            v128_t a = t0 >= 0 ? wasm_v128_load(x + t0 + c0 + k) : zero, b = t1 >= 0 ? wasm_v128_load(x + t1 + c0 + k) : zero;
            v128_t e = t2 >= 0 ? wasm_v128_load(x + t2 + c0 + k) : zero, f = t3 >= 0 ? wasm_v128_load(x + t3 + c0 + k) : zero;
            transpose4(&a, &b, &e, &f);
            wasm_v128_store(d + (long)k * positions, a);
            wasm_v128_store(d + (long)(k + 1) * positions, b);
            wasm_v128_store(d + (long)(k + 2) * positions, e);
            wasm_v128_store(d + (long)(k + 3) * positions, f);
          }
        }
        for (; p < positions; p++)
          for (int c = c0; c < c0 + 16; c++) tap[(long)c * positions + p] = table[p] >= 0 ? x[table[p] + c] : 0;
      }
      for (int c = c16; c < channels; c++) {
        float *d = tap + (long)c * positions;
        for (p = 0; p < positions; p++) d[p] = table[p] >= 0 ? x[table[p] + c] : 0;
      }
    }
  }
}

/*
 * Filter gradient of a convolution (dilation 1) without im2col: dw [kh, kw, C, co] =
 * Σ over the positions p of x[n, oh·sh + i − pt, ow·sw + j − pl, c] · dy[p, o] (0 outside x),
 * p = (n·out_h + oh)·out_w + ow, P = batch·out_h·out_w positions.
 *
 * dw is cut into R = kh·kw·⌈C/4⌉ panel rows (one tap, 4 channels: 4 rows of dw) and those into
 * chunks of `chunk_rows`; the threads take chunks in turn from the shared `counter` (an int,
 * 0 before the call) until none is left, so a thread slowed down by other work on the machine takes
 * fewer. Each chunk is computed whole by one thread in a fixed order, so the result does not depend
 * on the threads' timing or number. Per chunk, positions go in blocks of `block`: per block and
 * panel row, the block's input at that tap and those 4 channels is packed (pack_panel) into `pack`
 * ([block][4], scratch per thread; zeros past C), positions that fall into the padding left out
 * (they add nothing; at ResNet18's 3x3 layer4 maps, 40 % of them) and the dy rows of the others
 * listed in `pack_rows` (block ints), then register-blocked microkernels multiply it with those
 * rows of dy (read in place) into 4 x 8 tiles of dw, float32 accumulators per block. The block of dy stays in the cache for all
 * rows of a chunk; nothing of size kh·kw·C x P is materialised.
 */
static int pack_panel(const float *x, int in_h, int in_w, int channels, int i, int j, int c0, int sh, int sw, int pt, int pl,
                      int out_h, int out_w, int co, long p_start, int nb, float *pack, int *rows) {
  int lanes = min_int(4, channels - c0), m = 0;
  int ow = (int)(p_start % out_w), oh = (int)((p_start / out_w) % out_h), n = (int)(p_start / ((long)out_w * out_h));
  for (int q = 0; q < nb; q++) {
    int h = oh * sh + i - pt, w = ow * sw + j - pl;
    if (h >= 0 && h < in_h && w >= 0 && w < in_w) {
      const float *s = x + (((long)n * in_h + h) * in_w + w) * channels + c0;
      float *d = pack + 4L * m;
      if (lanes == 4) {
        wasm_v128_store(d, wasm_v128_load(s));
      } else {
        for (int r = 0; r < 4; r++) d[r] = r < lanes ? s[r] : 0;
      }
      rows[m++] = q * co;
    }
    if (++ow == out_w) {
      ow = 0;
      if (++oh == out_h) {
        oh = 0;
        n++;
      }
    }
  }
  return m;
}

/* w[0..4) += lo, and w[4..8) += hi when width is 8. */
static inline void add_row(float *w, v128_t lo, v128_t hi, int width) {
  wasm_v128_store(w, wasm_f32x4_add(wasm_v128_load(w), lo));
  if (width == 8) wasm_v128_store(w + 4, wasm_f32x4_add(wasm_v128_load(w + 4), hi));
}

/* w[r, 0..8) += Σ_q a[q, r] · b[rows_q + 0..8) for r < rows (w rows ldw floats apart). */
static void mk_4x8(const float *a, const float *b, const int *bq, int nb, float *w, int ldw, int rows) {
  v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (int q = 0; q < nb; q++, a += 4) {
    const float *bp = b + bq[q];
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_v128_load32_splat(a), a1 = wasm_v128_load32_splat(a + 1);
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(a0, b0));
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(a0, b1));
    c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(a1, b0));
    c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(a1, b1));
    v128_t a2 = wasm_v128_load32_splat(a + 2), a3 = wasm_v128_load32_splat(a + 3);
    c4 = wasm_f32x4_add(c4, wasm_f32x4_mul(a2, b0));
    c5 = wasm_f32x4_add(c5, wasm_f32x4_mul(a2, b1));
    c6 = wasm_f32x4_add(c6, wasm_f32x4_mul(a3, b0));
    c7 = wasm_f32x4_add(c7, wasm_f32x4_mul(a3, b1));
  }
  add_row(w, c0, c1, 8);
  if (rows > 1) add_row(w + ldw, c2, c3, 8);
  if (rows > 2) add_row(w + 2L * ldw, c4, c5, 8);
  if (rows > 3) add_row(w + 3L * ldw, c6, c7, 8);
}

/* As mk_4x8 for 4 columns. */
static void mk_4x4(const float *a, const float *b, const int *bq, int nb, float *w, int ldw, int rows) {
  v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (int q = 0; q < nb; q++, a += 4) {
    v128_t b0 = wasm_v128_load(b + bq[q]);
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load32_splat(a), b0));
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_v128_load32_splat(a + 1), b0));
    c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_v128_load32_splat(a + 2), b0));
    c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_v128_load32_splat(a + 3), b0));
  }
  add_row(w, c0, c0, 4);
  if (rows > 1) add_row(w + ldw, c1, c1, 4);
  if (rows > 2) add_row(w + 2L * ldw, c2, c2, 4);
  if (rows > 3) add_row(w + 3L * ldw, c3, c3, 4);
}

/* As mk_4x8 for 1 column: the 4 rows are the lanes. */
static void mk_4x1(const float *a, const float *b, const int *bq, int nb, float *w, int ldw, int rows) {
  v128_t c = wasm_f32x4_splat(0);
  for (int q = 0; q < nb; q++, a += 4) c = wasm_f32x4_add(c, wasm_f32x4_mul(wasm_v128_load(a), wasm_v128_load32_splat(b + bq[q])));
  if (rows > 0) w[0] += wasm_f32x4_extract_lane(c, 0);
  if (rows > 1) w[ldw] += wasm_f32x4_extract_lane(c, 1);
  if (rows > 2) w[2L * ldw] += wasm_f32x4_extract_lane(c, 2);
  if (rows > 3) w[3L * ldw] += wasm_f32x4_extract_lane(c, 3);
}

EXPORT(fl_conv_filter_grad)
void fl_conv_filter_grad(const float *x, int batch, int in_h, int in_w, int channels, const float *dy, int out_h, int out_w, int co, int kh,
                         int kw, int sh, int sw, int pt, int pl, int chunk_rows, int block, int *counter, float *pack, int *pack_rows, float *dw) {
  int groups = (channels + 3) >> 2, panel_rows = kh * kw * groups;
  int chunks = (panel_rows + chunk_rows - 1) / chunk_rows;
  long positions = (long)batch * out_h * out_w;
  for (;;) {
    int chunk = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    if (chunk >= chunks) break;
    int r0 = chunk * chunk_rows, r1 = min_int(panel_rows, r0 + chunk_rows);
    for (int r = r0; r < r1; r++) {
      int t = r / groups, c0 = 4 * (r % groups);
      float *w = dw + ((long)t * channels + c0) * co;
      for (long k = 0, n = (long)min_int(4, channels - c0) * co; k < n; k++) w[k] = 0;
    }
    for (long pb = 0; pb < positions; pb += block) {
      int nb = (int)(positions - pb < block ? positions - pb : block);
      const float *dyb = dy + pb * co;
      for (int r = r0; r < r1; r++) {
        int t = r / groups, c0 = 4 * (r % groups);
        int m = pack_panel(x, in_h, in_w, channels, t / kw, t % kw, c0, sh, sw, pt, pl, out_h, out_w, co, pb, nb, pack, pack_rows);
        float *w = dw + ((long)t * channels + c0) * co;
        int rows = min_int(4, channels - c0), o = 0;
        for (; o + 8 <= co; o += 8) mk_4x8(pack, dyb + o, pack_rows, m, w + o, co, rows);
        if (o + 4 <= co) {
          mk_4x4(pack, dyb + o, pack_rows, m, w + o, co, rows);
          o += 4;
        }
        for (; o < co; o++) mk_4x1(pack, dyb + o, pack_rows, m, w + o, co, rows);
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

/*
 * One AdamW step over n elements, the operations and their order of optim/adamw.ts (each rounded
 * to float32, as the tfjs ops it replaces): h = [β1, 1 − β1, β2, 1 − β2, decay factor 1 − lr·wd,
 * √(1 − β2^t), ε, lr/(1 − β1^t)], use_decay 0 to leave p undecayed.
 *   m' = m·β1 + g·(1 − β1);  v' = v·β2 + g²·(1 − β2);  p' = p·decay − m'/(√v'/√(1 − β2^t) + ε)·lr/(1 − β1^t)
 */
EXPORT(fl_adamw)
void fl_adamw(const float *p, const float *g, const float *m, const float *v, int n, const float *h, int use_decay, float *p_out, float *m_out, float *v_out) {
  v128_t b1 = wasm_f32x4_splat(h[0]), c1 = wasm_f32x4_splat(h[1]), b2 = wasm_f32x4_splat(h[2]), c2 = wasm_f32x4_splat(h[3]);
  v128_t decay = wasm_f32x4_splat(h[4]), bc2 = wasm_f32x4_splat(h[5]), eps = wasm_f32x4_splat(h[6]), step = wasm_f32x4_splat(h[7]);
  int n4 = n & ~3, i = 0;
  for (; i < n4; i += 4) {
    v128_t gv = wasm_v128_load(g + i);
    v128_t mv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(gv, c1));
    v128_t vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c2));
    v128_t pv = wasm_v128_load(p + i);
    if (use_decay) pv = wasm_f32x4_mul(pv, decay);
    v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vv), bc2), eps);
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pv, wasm_f32x4_mul(wasm_f32x4_div(mv, denom), step)));
    wasm_v128_store(m_out + i, mv);
    wasm_v128_store(v_out + i, vv);
  }
  for (; i < n; i++) {
    float gv = g[i];
    float mv = m[i] * h[0] + gv * h[1];
    float vv = v[i] * h[2] + (gv * gv) * h[3];
    float pv = use_decay ? p[i] * h[4] : p[i];
    float denom = __builtin_sqrtf(vv) / h[5] + h[6];
    p_out[i] = pv - (mv / denom) * h[7];
    m_out[i] = mv;
    v_out[i] = vv;
  }
}

/*
 * MoCo's key-encoder momentum update of one parameter, the float32 operations of
 * tf.add(tf.mul(k, m), tf.mul(q, 1 − m)) in that order: h = [m, 1 − m]; out = k·m + q·(1 − m).
 */
EXPORT(fl_momentum)
void fl_momentum(const float *k, const float *q, int n, const float *h, float *out) {
  float m = h[0], mq = h[1];
  v128_t mv = wasm_f32x4_splat(m), mqv = wasm_f32x4_splat(mq);
  int n4 = n & ~3, i = 0;
  for (; i < n4; i += 4)
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(k + i), mv), wasm_f32x4_mul(wasm_v128_load(q + i), mqv)));
  for (; i < n; i++) out[i] = k[i] * m + q[i] * mq;
}

/*
 * One SGD step with momentum and coupled weight decay over n elements, as optim/sgd.ts (torch.optim.SGD,
 * dampening 0, no Nesterov): h = [lr, μ, wd]; d = g + p·wd (wd ≠ 0); buf' = d on the first step,
 * else buf·μ + d (μ ≠ 0; buf and buf_out unused when μ = 0); p' = p − buf'·lr (or d·lr without momentum).
 */
EXPORT(fl_sgd)
void fl_sgd(const float *p, const float *g, const float *buf, int n, const float *h, int first, float *p_out, float *buf_out) {
  float lr = h[0], mu = h[1], wd = h[2];
  v128_t lrv = wasm_f32x4_splat(lr), muv = wasm_f32x4_splat(mu), wdv = wasm_f32x4_splat(wd);
  int n4 = n & ~3, i = 0;
  for (; i < n4; i += 4) {
    v128_t pv = wasm_v128_load(p + i);
    v128_t d = wasm_v128_load(g + i);
    if (wd != 0) d = wasm_f32x4_add(d, wasm_f32x4_mul(pv, wdv));
    if (mu != 0) {
      if (!first) d = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(buf + i), muv), d);
      wasm_v128_store(buf_out + i, d);
    }
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pv, wasm_f32x4_mul(d, lrv)));
  }
  for (; i < n; i++) {
    float d = g[i];
    if (wd != 0) d = d + p[i] * wd;
    if (mu != 0) {
      if (!first) d = buf[i] * mu + d;
      buf_out[i] = d;
    }
    p_out[i] = p[i] - d * lr;
  }
}
