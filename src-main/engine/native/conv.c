/*
 * FundusLab's native CPU convolution kernels: the forward convolution and the filter gradient of a
 * 2-D convolution (NHWC input, HWIO filter, dilation 1) as packed, register-blocked matrix products.
 *
 * This file is compiled once per instruction set (scripts/build-native.mjs): with -DFL_VARIANT=avx512
 * (16-float vectors, 12 x 32 register tile), avx2 (8-float vectors, 6 x 16 tile, FMA) and generic
 * (4-float vectors, 6 x 8 tile: SSE2 on any x86-64, NEON on arm64); addon.c picks one at load time from
 * what the CPU supports. The arithmetic is written once with the compiler's vector extensions.
 *
 * Both kernels are a product C[M, N] = A[M, K] · B[K, N]:
 *  - forward:          M = b·oh·ow output positions, K = kh·kw·ci, N = co; A = the im2col rows of x
 *                      (never materialised: packed block by block, the padding's taps as zeros),
 *                      B = the filter [kh·kw·ci, co] as stored;
 *  - filter gradient:  M = kh·kw·ci, K = b·oh·ow, N = co; A = the im2col matrix transposed, B = dy.
 * B is packed once per call into column panels of NR floats (zeros past N); the threads take blocks
 * of MC rows of C in turn from a shared counter; per block and chunk of KC reduction steps the rows
 * of A are packed into micro-panels of MR rows, and the microkernel keeps an MR x NR tile of C in
 * registers. Every element of C is computed by one thread, always in the same order, so the result
 * does not depend on the number of threads or their timing.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

#if defined(FL_VARIANT_AVX512)
#define VL 16
#define MR 12
#define SUFFIX(name) name##_avx512
#elif defined(FL_VARIANT_AVX2)
#define VL 8
#define MR 6
#define SUFFIX(name) name##_avx2
#else
#define VL 4
#define MR 6
#define SUFFIX(name) name##_generic
#endif
#define NV 2
#define NR (VL * NV)
#define KC 256
#define MC_MAX (MR * 8)

typedef float vec __attribute__((vector_size(VL * 4), aligned(VL * 4)));

/* C[MR x NR] (+)= A panel [kc][MR] · B panel [kc][NR]; c has row stride ldc. */
static void microkernel(int kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                        int accumulate) {
  vec acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = (vec){0};
  for (int k = 0; k < kc; k++) {
    vec b0 = *(const vec *)(b);
    vec b1 = *(const vec *)(b + VL);
    for (int r = 0; r < MR; r++) {
      float ar = a[r];
      acc[r][0] += b0 * ar;
      acc[r][1] += b1 * ar;
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; r++) {
    for (int v = 0; v < NV; v++) {
      float *dst = c + r * ldc + v * VL;
      if (accumulate) {
        vec old;
        memcpy(&old, dst, sizeof old);
        acc[r][v] += old;
      }
      memcpy(dst, &acc[r][v], sizeof acc[r][v]);
    }
  }
}

/* Packs rows [i0, i0 + rows) x reduction [k0, k0 + kc) of A into dst [kc][MR] (rows past `rows` zero). */
typedef void (*pack_a_fn)(const fl_conv *p, int i0, int rows, int k0, int kc, float *dst);
/* The B element (k, n) at b[k * ldb + n]; panels are built from it. */

struct job {
  const fl_conv *p;
  int M, N, K;
  pack_a_fn pack_a;
  const float *b;
  long ldb;
  float *packed_b; /* [panels][K][NR] */
  float *c;
  long ldc;
  int mc;
  int blocks;
  atomic_int next_block;
  atomic_int next_panel;
};

static void pack_b_panels(struct job *j) {
  const int panels = (j->N + NR - 1) / NR;
  for (;;) {
    int jp = atomic_fetch_add(&j->next_panel, 1);
    if (jp >= panels) return;
    int n0 = jp * NR, cols = j->N - n0 < NR ? j->N - n0 : NR;
    float *dst = j->packed_b + (long)jp * j->K * NR;
    for (int k = 0; k < j->K; k++, dst += NR) {
      const float *src = j->b + (long)k * j->ldb + n0;
      memcpy(dst, src, cols * sizeof(float));
      if (cols < NR) memset(dst + cols, 0, (NR - cols) * sizeof(float));
    }
  }
}

/* Forward only: bias, residual and ReLU (in that order, as separate float32 operations would) on rows
 * [i0, i0 + rows) of C, while they are still in the cache. */
static void epilogue(const struct job *j, int i0, int rows) {
  const float *bias = j->p->bias;
  for (int r = 0; r < rows; r++) {
    float *c = j->c + (long)(i0 + r) * j->ldc;
    if (bias)
      for (int n = 0; n < j->N; n++) c[n] += bias[n];
    if (j->p->residual) {
      const float *res = j->p->residual + (long)(i0 + r) * j->N;
      for (int n = 0; n < j->N; n++) c[n] += res[n];
    }
    if (j->p->relu)
      for (int n = 0; n < j->N; n++) c[n] = c[n] < 0.0f ? 0.0f : c[n];
  }
}

static void run_blocks(struct job *j, float *apack) {
  const int panels = (j->N + NR - 1) / NR;
  float tile[MR * NR] __attribute__((aligned(64)));
  for (;;) {
    int blk = atomic_fetch_add(&j->next_block, 1);
    if (blk >= j->blocks) return;
    int i0 = blk * j->mc, rows = j->M - i0 < j->mc ? j->M - i0 : j->mc;
    for (int k0 = 0; k0 < j->K; k0 += KC) {
      int kc = j->K - k0 < KC ? j->K - k0 : KC;
      for (int ir = 0; ir < rows; ir += MR) j->pack_a(j->p, i0 + ir, rows - ir < MR ? rows - ir : MR, k0, kc, apack + (long)ir * kc);
      for (int jp = 0; jp < panels; jp++) {
        const float *bp = j->packed_b + ((long)jp * j->K + k0) * NR;
        int n0 = jp * NR, cols = j->N - n0 < NR ? j->N - n0 : NR;
        for (int ir = 0; ir < rows; ir += MR) {
          int mr = rows - ir < MR ? rows - ir : MR;
          float *c = j->c + (long)(i0 + ir) * j->ldc + n0;
          if (mr == MR && cols == NR) {
            microkernel(kc, apack + (long)ir * kc, bp, c, j->ldc, k0 > 0);
          } else {
            microkernel(kc, apack + (long)ir * kc, bp, tile, NR, 0);
            for (int r = 0; r < mr; r++)
              for (int q = 0; q < cols; q++) c[(long)r * j->ldc + q] = (k0 > 0 ? c[(long)r * j->ldc + q] : 0.0f) + tile[r * NR + q];
          }
        }
      }
    }
    if (j->p->bias || j->p->residual || j->p->relu) epilogue(j, i0, rows);
  }
}

static void worker_pack_b(void *arg, int thread) {
  struct job *j = arg;
  (void)thread;
  pack_b_panels(j);
}

static void worker_blocks(void *arg, int thread) {
  struct job *j = arg;
  (void)thread;
  float *apack = aligned_alloc(64, (size_t)MC_MAX * KC * sizeof(float));
  if (!apack) return; /* blocks stay for the other threads; the caller checks completion */
  run_blocks(j, apack);
  free(apack);
}

/* ---- forward: A = im2col(x) ---- */

static void pack_a_im2col(const fl_conv *p, int i0, int rows, int k0, int kc, float *dst) {
  const int ohw = p->out_h * p->out_w;
  for (int r = 0; r < MR; r++) {
    if (r >= rows) {
      for (int k = 0; k < kc; k++) dst[k * MR + r] = 0.0f;
      continue;
    }
    int pos = i0 + r, n = pos / ohw, rem = pos - n * ohw, oh = rem / p->out_w, ow = rem - oh * p->out_w;
    int ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    const float *xn = p->x + (long)n * p->in_h * p->in_w * p->in_c;
    int k = k0;
    while (k < k0 + kc) {
      int tap = k / p->in_c, ch = k - tap * p->in_c;
      int i = tap / p->k_w, jx = tap - i * p->k_w, ih = ih0 + i, iw = iw0 + jx;
      int run;
      float *d = dst + (long)(k - k0) * MR + r;
      if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
        /* Taps jx, jx + 1, … of one filter row read consecutive pixels of one input row: while they
         * stay inside the image their channels are one contiguous run of x. */
        int taps = p->k_w - jx < p->in_w - iw ? p->k_w - jx : p->in_w - iw;
        run = taps * p->in_c - ch;
        if (run > k0 + kc - k) run = k0 + kc - k;
        const float *src = xn + ((long)ih * p->in_w + iw) * p->in_c + ch;
        for (int q = 0; q < run; q++) d[q * MR] = src[q];
      } else {
        run = p->in_c - ch;
        if (run > k0 + kc - k) run = k0 + kc - k;
        for (int q = 0; q < run; q++) d[q * MR] = 0.0f;
      }
      k += run;
    }
  }
}

/* ---- filter gradient: A = im2col(x) transposed, rows = (tap, channel), reduction over positions ---- */

static void pack_a_im2col_t(const fl_conv *p, int i0, int rows, int k0, int kc, float *dst) {
  const int ohw = p->out_h * p->out_w;
  int ti[MR], tj[MR], tc[MR];
  for (int r = 0; r < MR; r++) {
    int row = i0 + (r < rows ? r : 0), tap = row / p->in_c;
    tc[r] = row - tap * p->in_c;
    ti[r] = tap / p->k_w;
    tj[r] = tap - ti[r] * p->k_w;
  }
  int pos = k0, n = pos / ohw, rem = pos - n * ohw, oh = rem / p->out_w, ow = rem - oh * p->out_w;
  /* The usual case: the MR rows are MR consecutive channels of one tap, so each position contributes
   * MR consecutive floats of x (or zeros in the padding). */
  if (rows == MR && ti[0] == ti[MR - 1] && tj[0] == tj[MR - 1] && tc[MR - 1] == tc[0] + MR - 1) {
    const long image = (long)p->in_h * p->in_w * p->in_c;
    for (int k = 0; k < kc; k++) {
      int ih = oh * p->stride_h - p->pad_top + ti[0], iw = ow * p->stride_w - p->pad_left + tj[0];
      float *d = dst + (long)k * MR;
      if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w)
        memcpy(d, p->x + n * image + ((long)ih * p->in_w + iw) * p->in_c + tc[0], MR * sizeof(float));
      else
        memset(d, 0, MR * sizeof(float));
      if (++ow == p->out_w) {
        ow = 0;
        if (++oh == p->out_h) {
          oh = 0;
          n++;
        }
      }
    }
    return;
  }
  long offset[MR]; /* of row r's element from the window's top-left pixel */
  for (int r = 0; r < MR; r++) offset[r] = ((long)ti[r] * p->in_w + tj[r]) * p->in_c + tc[r];
  for (int k = 0; k < kc; k++) {
    const float *xn = p->x + (long)n * p->in_h * p->in_w * p->in_c;
    int ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    float *d = dst + (long)k * MR;
    if (rows == MR && ih0 >= 0 && ih0 + p->k_h <= p->in_h && iw0 >= 0 && iw0 + p->k_w <= p->in_w) {
      /* the whole window inside the image */
      const float *window = xn + ((long)ih0 * p->in_w + iw0) * p->in_c;
      for (int r = 0; r < MR; r++) d[r] = window[offset[r]];
    } else {
      for (int r = 0; r < MR; r++) {
        int ih = ih0 + ti[r], iw = iw0 + tj[r];
        d[r] = (r < rows && ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) ? xn[((long)ih * p->in_w + iw) * p->in_c + tc[r]] : 0.0f;
      }
    }
    if (++ow == p->out_w) {
      ow = 0;
      if (++oh == p->out_h) {
        oh = 0;
        n++;
      }
    }
  }
}

static int block_rows(int M, int threads) {
  /* At least 4 blocks per thread when M allows, at most MC_MAX rows, a multiple of MR. */
  int per = (M + 4 * threads - 1) / (4 * threads);
  int mc = (per + MR - 1) / MR * MR;
  return mc < MR ? MR : mc > MC_MAX ? MC_MAX : mc;
}

static int run_product(const fl_conv *p, fl_parallel_fn parallel, int M, int N, int K, pack_a_fn pack_a, const float *b,
                       long ldb, float *c) {
  if (M <= 0 || N <= 0) return 0;
  if (K <= 0) {
    for (long i = 0; i < (long)M; i++) memset(c + i * N, 0, (size_t)N * sizeof(float));
    return 0;
  }
  struct job j = {.p = p, .M = M, .N = N, .K = K, .pack_a = pack_a, .b = b, .ldb = ldb, .c = c, .ldc = N};
  const int panels = (N + NR - 1) / NR;
  j.packed_b = aligned_alloc(64, (size_t)panels * K * NR * sizeof(float));
  if (!j.packed_b) return -1;
  j.mc = block_rows(M, p->threads);
  j.blocks = (M + j.mc - 1) / j.mc;
  atomic_init(&j.next_block, 0);
  atomic_init(&j.next_panel, 0);
  parallel(worker_pack_b, &j, p->threads);
  parallel(worker_blocks, &j, p->threads);
  int done = atomic_load(&j.next_block) >= j.blocks;
  if (!done) { /* a thread could not allocate its buffer: finish on this one */
    float *apack = aligned_alloc(64, (size_t)MC_MAX * KC * sizeof(float));
    if (!apack) {
      free(j.packed_b);
      return -1;
    }
    run_blocks(&j, apack);
    free(apack);
  }
  free(j.packed_b);
  return 0;
}

int SUFFIX(fl_conv_forward)(const fl_conv *p, fl_parallel_fn parallel) {
  return run_product(p, parallel, p->batch * p->out_h * p->out_w, p->out_c, p->k_h * p->k_w * p->in_c, pack_a_im2col, p->w,
                     p->out_c, p->y);
}

int SUFFIX(fl_conv_filter_grad)(const fl_conv *p, fl_parallel_fn parallel) {
  return run_product(p, parallel, p->k_h * p->k_w * p->in_c, p->out_c, p->batch * p->out_h * p->out_w, pack_a_im2col_t, p->dy,
                     p->out_c, p->dw);
}
