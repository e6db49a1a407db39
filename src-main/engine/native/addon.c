/*
 * Node-API glue of FundusLab's native convolution kernels (conv.c): a pool of worker threads, the
 * choice of instruction set from what the CPU supports, and two functions that run on tensors in a
 * Float32Array (tfjs-backend-wasm's heap), given as element offsets into it:
 *
 *   conv2d(heap, x, w, y, dims[, bias, relu, residual])  y = x ⊛ w (+ bias + residual, ReLU)  (forward)
 *   conv2dFilterGrad(heap, x, dy, dw, dims)  dw = Σ_p im2col(x)ᵀ dy  (filter gradient)
 *
 *   maxPool(heap, x, y, dims)              max pooling (NHWC)
 *   addRelu(heap, a, b, y, n)              y = max(a + b, 0), element by element
 *   reluGrad(heap, dy, y, dx, n)           the gradient of that ReLU
 *
 * dims = [batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft].
 * Every range is checked against the heap's length before anything is read or written.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aug.h"
#include "conv.h"

#define MAX_THREADS 64

typedef int (*conv_fn)(const fl_conv *, fl_parallel_fn);
/* The *_narrow kernels serve narrow shapes: the forward pass with fewer than 32 output channels (the
 * AVX-512 tile is 32 wide: most of its lanes would be padding) and the filter gradient with fewer
 * than 16 input channels (a ResNet's first convolution: there the 12 rows of an AVX-512 panel span
 * several filter taps, which makes packing them slow; AVX2's 6 rows measured 2.3x faster). */
typedef struct {
  const char *name;
  conv_fn forward, forward_narrow, filter_grad, filter_grad_narrow;
} variant;

static const variant VARIANTS[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"avx512", fl_conv_forward_avx512, fl_conv_forward_avx2, fl_conv_filter_grad_avx512, fl_conv_filter_grad_avx2},
    {"avx2", fl_conv_forward_avx2, fl_conv_forward_avx2, fl_conv_filter_grad_avx2, fl_conv_filter_grad_avx2},
#endif
    {"generic", fl_conv_forward_generic, fl_conv_forward_generic, fl_conv_filter_grad_generic, fl_conv_filter_grad_generic},
};
#define VARIANT_COUNT (int)(sizeof VARIANTS / sizeof VARIANTS[0])

static int variant_supported(const variant *v) {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (!strcmp(v->name, "avx512")) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (!strcmp(v->name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !strcmp(v->name, "generic");
}

static const variant *current;

/* ---- the thread pool: workers 1..threads-1 wait for a generation number to change ---- */

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER; /* one call at a time uses the pool */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER, done_cv = PTHREAD_COND_INITIALIZER;
static int started = 0, pool_threads = 1, wanted_threads = 1;
static unsigned long generation = 0;
static int pending = 0, job_threads = 0;
static fl_task_fn job_fn;
static void *job_arg;

static void *pool_worker(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (generation == seen) pthread_cond_wait(&start_cv, &mu);
    seen = generation;
    fl_task_fn fn = job_fn;
    void *a = job_arg;
    int run = id < job_threads;
    pthread_mutex_unlock(&mu);
    if (run) fn(a, id);
    pthread_mutex_lock(&mu);
    if (--pending == 0) pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void ensure_workers(int threads) {
  while (started < threads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, pool_worker, (void *)(intptr_t)(started + 1)) != 0) {
      pthread_attr_destroy(&attr);
      break;
    }
    pthread_attr_destroy(&attr);
    started++;
  }
  pool_threads = started + 1;
}

static void parallel(fl_task_fn fn, void *arg, int threads) {
  if (threads > pool_threads) threads = pool_threads;
  if (threads <= 1 || started == 0) {
    fn(arg, 0);
    return;
  }
  pthread_mutex_lock(&mu);
  job_fn = fn;
  job_arg = arg;
  job_threads = threads;
  pending = started;
  generation++;
  pthread_cond_broadcast(&start_cv);
  pthread_mutex_unlock(&mu);
  fn(arg, 0);
  pthread_mutex_lock(&mu);
  while (pending > 0) pthread_cond_wait(&done_cv, &mu);
  pthread_mutex_unlock(&mu);
}

/* Runs on the pool when it is free, else on the calling thread alone (another thread of the process
 * is using it). */
static int run_conv(conv_fn fn, fl_conv *p) {
  /* Below ~2^20 multiply-adds waking the pool costs about as much as it saves. */
  double work = (double)p->batch * p->out_h * p->out_w * p->out_c * p->k_h * p->k_w * p->in_c;
  if (work >= 1048576.0 && pthread_mutex_trylock(&pool_mutex) == 0) {
    ensure_workers(wanted_threads);
    p->threads = wanted_threads < pool_threads ? wanted_threads : pool_threads;
    int rc = fn(p, parallel);
    pthread_mutex_unlock(&pool_mutex);
    return rc;
  }
  p->threads = 1;
  return fn(p, parallel);
}

/* Runs fn(job, thread) on the pool's threads when `worth_it` and the pool is free, else once on the
 * calling thread (fn takes its work from a counter in the job, so either way covers all of it). */
static void run_chunks(fl_task_fn fn, void *job, int worth_it) {
  if (worth_it && pthread_mutex_trylock(&pool_mutex) == 0) {
    ensure_workers(wanted_threads);
    parallel(fn, job, wanted_threads);
    pthread_mutex_unlock(&pool_mutex);
  } else {
    fn(job, 0);
  }
}

/* ---- max pooling (NHWC): output rows (n, oh) taken from a counter by the threads ---- */

typedef struct {
  const float *x;
  float *y;
  int batch, in_h, in_w, c, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  atomic_int next;
} pool_job;

static void max_pool_rows(void *arg, int thread) {
  pool_job *j = arg;
  (void)thread;
  for (;;) {
    int row = atomic_fetch_add(&j->next, 1);
    if (row >= j->batch * j->out_h) return;
    int n = row / j->out_h, oh = row - n * j->out_h;
    const float *xn = j->x + (long)n * j->in_h * j->in_w * j->c;
    float *yr = j->y + (long)row * j->out_w * j->c;
    int ih0 = oh * j->stride_h - j->pad_top;
    for (int ow = 0; ow < j->out_w; ow++) {
      float *out = yr + (long)ow * j->c;
      for (int ch = 0; ch < j->c; ch++) out[ch] = -INFINITY;
      int iw0 = ow * j->stride_w - j->pad_left;
      for (int i = 0; i < j->k_h; i++) {
        int ih = ih0 + i;
        if (ih < 0 || ih >= j->in_h) continue;
        for (int jx = 0; jx < j->k_w; jx++) {
          int iw = iw0 + jx;
          if (iw < 0 || iw >= j->in_w) continue;
          const float *in = xn + ((long)ih * j->in_w + iw) * j->c;
          for (int ch = 0; ch < j->c; ch++) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
        }
      }
    }
  }
}

/* ---- element-wise: a ResNet block's residual addition with its ReLU, and the ReLU's gradient ---- */

typedef struct {
  const float *a, *b; /* add_relu: the two addends; relu_grad: a = dy, b = y */
  float *out;
  long n;
  int grad;
  atomic_long next;
} elementwise_job;

#define ELEMENTWISE_CHUNK 16384

static void elementwise_chunks(void *arg, int thread) {
  elementwise_job *j = arg;
  (void)thread;
  for (;;) {
    long i0 = atomic_fetch_add(&j->next, ELEMENTWISE_CHUNK);
    if (i0 >= j->n) return;
    long i1 = i0 + ELEMENTWISE_CHUNK < j->n ? i0 + ELEMENTWISE_CHUNK : j->n;
    const float *a = j->a, *b = j->b;
    float *out = j->out;
    if (!j->grad) {
      for (long i = i0; i < i1; i++) {
        float s = a[i] + b[i];
        out[i] = s < 0.0f ? 0.0f : s; /* NaN stays NaN */
      }
    } else {
      /* dx = dy·step(y) as tfjs computes it: step(y) = 1 where y > 0, 0 where y ≤ 0, NaN where y is NaN
       * (so a negative dy times 0 gives −0, bit for bit as tfjs) */
      for (long i = i0; i < i1; i++) out[i] = a[i] * (b[i] > 0.0f ? 1.0f : (b[i] == b[i] ? 0.0f : b[i]));
    }
  }
}

/* ---- Node-API ---- */

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "FL_NATIVE", message);
  return NULL;
}

/* Throws "<name>: <message>". */
static napi_value throw_named(napi_env env, const char *name, const char *message) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", name, message);
  return throw_error(env, text);
}

static int get_int(napi_env env, napi_value v, int *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d != (double)(int)d) return 0;
  *out = (int)d;
  return 1;
}

/* The heap argument: a Float32Array (over the wasm memory), as a pointer and a length in floats. */
static int get_heap(napi_env env, napi_value v, float **heap, size_t *length) {
  napi_typedarray_type type;
  void *data;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, v, &type, length, &data, &buffer, &byte_offset) != napi_ok || type != napi_float32_array) return 0;
  *heap = data;
  return 1;
}

/* Reads (heap, a, b, c, dims) into the heap pointer, three offsets and p's dimensions. */
static const char *read_args(napi_env env, napi_callback_info info, float **heap, size_t *length, long offsets[3], fl_conv *p,
                             long *bias, int *relu, long *residual) {
  int v;
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return "expected (heap, a, b, c, dims[, bias, relu, residual])";
  if (!get_heap(env, argv[0], heap, length)) return "expected a Float32Array as the heap";
  for (int i = 0; i < 3; i++) {
    if (!get_int(env, argv[1 + i], &v) || v < 0) return "expected offsets as non-negative integers";
    offsets[i] = v;
  }
  int dims[13];
  for (uint32_t i = 0; i < 13; i++) {
    napi_value e;
    if (napi_get_element(env, argv[4], i, &e) != napi_ok || !get_int(env, e, &dims[i])) return "expected dims as 13 integers";
  }
  memset(p, 0, sizeof *p);
  p->batch = dims[0], p->in_h = dims[1], p->in_w = dims[2], p->in_c = dims[3];
  p->out_h = dims[4], p->out_w = dims[5], p->out_c = dims[6], p->k_h = dims[7], p->k_w = dims[8];
  p->stride_h = dims[9], p->stride_w = dims[10], p->pad_top = dims[11], p->pad_left = dims[12];
  for (int i = 0; i < 11; i++)
    if (dims[i] <= 0) return "expected positive sizes and strides in dims";
  if (dims[11] < 0 || dims[12] < 0) return "expected non-negative padding in dims";
  *bias = -1;
  *relu = 0;
  if (argc > 5 && (!get_int(env, argv[5], &v) || v < -1)) return "expected the bias offset as an integer (-1: none)";
  if (argc > 5) *bias = v;
  if (argc > 6 && (!get_int(env, argv[6], relu) || (*relu != 0 && *relu != 1))) return "expected relu as 0 or 1";
  *residual = -1;
  if (argc > 7 && (!get_int(env, argv[7], &v) || v < -1)) return "expected the residual offset as an integer (-1: none)";
  if (argc > 7) *residual = v;
  return NULL;
}

static int fits(long offset, double count, size_t length) { return (double)offset + count <= (double)length; }

static double sizes_x(const fl_conv *p) { return (double)p->batch * p->in_h * p->in_w * p->in_c; }
static double sizes_w(const fl_conv *p) { return (double)p->k_h * p->k_w * p->in_c * p->out_c; }
static double sizes_y(const fl_conv *p) { return (double)p->batch * p->out_h * p->out_w * p->out_c; }

static napi_value conv2d(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  long off[3];
  fl_conv p;
  long bias, residual;
  int relu;
  const char *err = read_args(env, info, &heap, &length, off, &p, &bias, &relu, &residual);
  if (err) return throw_error(env, err);
  if (!fits(off[0], sizes_x(&p), length) || !fits(off[1], sizes_w(&p), length) || !fits(off[2], sizes_y(&p), length) ||
      (bias >= 0 && !fits(bias, p.out_c, length)) || (residual >= 0 && !fits(residual, sizes_y(&p), length)))
    return throw_error(env, "conv2d: a tensor lies outside the heap");
  p.bias = bias >= 0 ? heap + bias : NULL;
  p.residual = residual >= 0 ? heap + residual : NULL;
  p.relu = relu;
  p.x = heap + off[0];
  p.w = heap + off[1];
  p.y = heap + off[2];
  if (run_conv(p.out_c < 32 ? current->forward_narrow : current->forward, &p) != 0) return throw_error(env, "conv2d: out of memory");
  return NULL;
}

static napi_value conv2d_filter_grad(napi_env env, napi_callback_info info) {
  float *heap;
  size_t length;
  long off[3];
  fl_conv p;
  long bias, residual;
  int relu;
  const char *err = read_args(env, info, &heap, &length, off, &p, &bias, &relu, &residual);
  if (err) return throw_error(env, err);
  if (bias >= 0 || relu || residual >= 0) return throw_error(env, "conv2dFilterGrad: takes no bias, activation or residual");
  if (!fits(off[0], sizes_x(&p), length) || !fits(off[1], sizes_y(&p), length) || !fits(off[2], sizes_w(&p), length))
    return throw_error(env, "conv2dFilterGrad: a tensor lies outside the heap");
  p.x = heap + off[0];
  p.dy = heap + off[1];
  p.dw = heap + off[2];
  if (run_conv(p.in_c < 16 ? current->filter_grad_narrow : current->filter_grad, &p) != 0) return throw_error(env, "conv2dFilterGrad: out of memory");
  return NULL;
}

/* addRelu(heap, a, b, out, n): out = max(a + b, 0); reluGrad(heap, dy, y, out, n): the gradient of that ReLU. */
static napi_value elementwise(napi_env env, napi_callback_info info, int grad) {
  const char *name = grad ? "reluGrad" : "addRelu";
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return throw_named(env, name, "expected (heap, a, b, out, n)");
  float *heap;
  size_t length;
  if (!get_heap(env, argv[0], &heap, &length)) return throw_named(env, name, "expected a Float32Array as the heap");
  int v[4];
  for (int i = 0; i < 4; i++)
    if (!get_int(env, argv[1 + i], &v[i]) || v[i] < 0) return throw_named(env, name, "expected offsets and a length as non-negative integers");
  for (int i = 0; i < 3; i++)
    if (!fits(v[i], v[3], length)) return throw_named(env, name, "a tensor lies outside the heap");
  elementwise_job j = {.a = heap + v[0], .b = heap + v[1], .out = heap + v[2], .n = v[3], .grad = grad};
  atomic_init(&j.next, 0);
  run_chunks(elementwise_chunks, &j, v[3] >= 4 * ELEMENTWISE_CHUNK);
  return NULL;
}

static napi_value add_relu(napi_env env, napi_callback_info info) { return elementwise(env, info, 0); }
static napi_value relu_grad(napi_env env, napi_callback_info info) { return elementwise(env, info, 1); }

/* maxPool(heap, x, y, dims): dims = [batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft].
 * The maximum over the window's pixels inside the image (padding takes no part; NaN is never chosen, as wasm's). */
static napi_value max_pool(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return throw_error(env, "maxPool: expected (heap, x, y, dims)");
  float *heap;
  size_t length;
  if (!get_heap(env, argv[0], &heap, &length)) return throw_error(env, "maxPool: expected a Float32Array as the heap");
  int off[2], d[12];
  for (int i = 0; i < 2; i++)
    if (!get_int(env, argv[1 + i], &off[i]) || off[i] < 0) return throw_error(env, "maxPool: expected offsets as non-negative integers");
  for (uint32_t i = 0; i < 12; i++) {
    napi_value e;
    if (napi_get_element(env, argv[3], i, &e) != napi_ok || !get_int(env, e, &d[i])) return throw_error(env, "maxPool: expected dims as 12 integers");
    if (i < 10 ? d[i] <= 0 : d[i] < 0) return throw_error(env, "maxPool: expected positive sizes and strides, non-negative padding");
  }
  if (!fits(off[0], (double)d[0] * d[1] * d[2] * d[3], length) || !fits(off[1], (double)d[0] * d[4] * d[5] * d[3], length))
    return throw_error(env, "maxPool: a tensor lies outside the heap");
  pool_job j = {.x = heap + off[0], .y = heap + off[1], .batch = d[0], .in_h = d[1], .in_w = d[2], .c = d[3], .out_h = d[4],
                .out_w = d[5], .k_h = d[6], .k_w = d[7], .stride_h = d[8], .stride_w = d[9], .pad_top = d[10], .pad_left = d[11]};
  atomic_init(&j.next, 0);
  run_chunks(max_pool_rows, &j, (double)d[0] * d[4] * d[5] * d[3] * d[6] * d[7] >= 1048576.0);
  return NULL;
}

/* ---- augmentation (aug.c), called from the augmentation worker thread ---- */

/* Reads a number (not NaN) into *out. */
static int get_number(napi_env env, napi_value v, double *out) { return napi_get_value_double(env, v, out) == napi_ok && *out == *out; }

/* A Float32Array argument and an element offset into it where `count` floats must fit. */
static int get_image(napi_env env, napi_value array, napi_value offset, double count, float **at) {
  float *data;
  size_t length;
  int off;
  if (!get_heap(env, array, &data, &length) || !get_int(env, offset, &off) || off < 0 || !fits(off, count, length)) return 0;
  *at = data + off;
  return 1;
}

/* Reads `n` integer arguments from argv[first …] into out, each ≥ min. */
static int get_ints(napi_env env, napi_value *argv, int first, int n, int *out, int min) {
  for (int i = 0; i < n; i++)
    if (!get_int(env, argv[first + i], &out[i]) || out[i] < min) return 0;
  return 1;
}

#define AUG_ARGS(name, count)                                                              \
  size_t argc = count;                                                                      \
  napi_value argv[count];                                                                   \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (count)) \
    return throw_named(env, name, "expected " #count " arguments");

/* augResizedCrop(src, srcOffset, h, w, c, top, left, height, width, dst, dstOffset, outH, outW) */
static napi_value aug_resized_crop(napi_env env, napi_callback_info info) {
  AUG_ARGS("augResizedCrop", 13)
  int d[4], box[4], out[2];
  float *src, *dst;
  if (!get_ints(env, argv, 2, 3, d, 1) || !get_ints(env, argv, 5, 2, box, 0) || !get_ints(env, argv, 7, 2, box + 2, 1) ||
      !get_ints(env, argv, 11, 2, out, 1))
    return throw_error(env, "augResizedCrop: expected positive sizes and a box inside the image");
  if (box[0] + box[2] > d[0] || box[1] + box[3] > d[1]) return throw_error(env, "augResizedCrop: the box lies outside the image");
  if (!get_image(env, argv[0], argv[1], (double)d[0] * d[1] * d[2], &src) ||
      !get_image(env, argv[9], argv[10], (double)out[0] * out[1] * d[2], &dst))
    return throw_error(env, "augResizedCrop: an image lies outside its array");
  if (fl_aug_resized_crop(src, d[0], d[1], d[2], box[0], box[1], box[2], box[3], dst, out[0], out[1]) != 0)
    return throw_named(env, "augResizedCrop", "out of memory");
  return NULL;
}

/* augRotate(src, srcOffset, h, w, c, cos, sin, dst, dstOffset) */
static napi_value aug_rotate(napi_env env, napi_callback_info info) {
  AUG_ARGS("augRotate", 9)
  int d[3];
  double cs, sn;
  float *src, *dst;
  if (!get_ints(env, argv, 2, 3, d, 1) || !get_number(env, argv[5], &cs) || !get_number(env, argv[6], &sn))
    return throw_error(env, "augRotate: expected positive sizes and the angle's cosine and sine");
  const double count = (double)d[0] * d[1] * d[2];
  if (!get_image(env, argv[0], argv[1], count, &src) || !get_image(env, argv[7], argv[8], count, &dst))
    return throw_error(env, "augRotate: an image lies outside its array");
  fl_aug_rotate(src, d[0], d[1], d[2], cs, sn, dst);
  return NULL;
}

/* augBlend(data, offset, pixels, factor, target) — target 0 black, 1 mean luminance, 2 luminance */
static napi_value aug_blend(napi_env env, napi_callback_info info) {
  AUG_ARGS("augBlend", 5)
  int px, target;
  double factor;
  float *d;
  if (!get_int(env, argv[2], &px) || px < 1 || !get_number(env, argv[3], &factor) || !get_int(env, argv[4], &target) || target < 0 ||
      target > 2)
    return throw_error(env, "augBlend: expected a positive pixel count, a factor and a target 0, 1 or 2");
  if (!get_image(env, argv[0], argv[1], (double)px * 3, &d)) return throw_error(env, "augBlend: the image lies outside its array");
  fl_aug_blend(d, px, factor, target);
  return NULL;
}

/* augHue(data, offset, pixels, shift) */
static napi_value aug_hue(napi_env env, napi_callback_info info) {
  AUG_ARGS("augHue", 4)
  int px;
  double shift;
  float *d;
  if (!get_int(env, argv[2], &px) || px < 1 || !get_number(env, argv[3], &shift))
    return throw_error(env, "augHue: expected a positive pixel count and a shift");
  if (!get_image(env, argv[0], argv[1], (double)px * 3, &d)) return throw_error(env, "augHue: the image lies outside its array");
  fl_aug_hue(d, px, shift);
  return NULL;
}

/* augBlur(src, srcOffset, h, w, c, kernel, dst, dstOffset) */
static napi_value aug_blur(napi_env env, napi_callback_info info) {
  AUG_ARGS("augBlur", 8)
  int d[3];
  float *src, *dst, *kern;
  size_t k;
  if (!get_ints(env, argv, 2, 3, d, 1) || !get_heap(env, argv[5], &kern, &k) || k % 2 != 1 || (int)(k / 2) >= d[0] ||
      (int)(k / 2) >= d[1])
    return throw_error(env, "augBlur: expected positive sizes and an odd kernel shorter than twice each side");
  const double count = (double)d[0] * d[1] * d[2];
  if (!get_image(env, argv[0], argv[1], count, &src) || !get_image(env, argv[6], argv[7], count, &dst))
    return throw_error(env, "augBlur: an image lies outside its array");
  float *col = malloc(sizeof(float) * ((size_t)d[0] * d[1] * d[2] + ((size_t)d[1] + k) * d[2]));
  if (!col) return throw_named(env, "augBlur", "out of memory");
  fl_aug_blur(src, d[0], d[1], d[2], kern, (int)k, dst, col, col + (size_t)d[0] * d[1] * d[2]);
  free(col);
  return NULL;
}

static napi_value make_info(napi_env env) {
  napi_value obj, v, list;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, current->name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "variant", v);
  napi_create_int32(env, wanted_threads, &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (int i = 0; i < VARIANT_COUNT; i++) {
    if (!variant_supported(&VARIANTS[i])) continue;
    napi_create_string_utf8(env, VARIANTS[i].name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, list, n++, v);
  }
  napi_set_named_property(env, obj, "supported", list);
  return obj;
}

static napi_value get_info(napi_env env, napi_callback_info info) {
  (void)info;
  return make_info(env);
}

/* configure({threads?, variant?}) → info */
static napi_value configure(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc < 1) return throw_error(env, "configure: expected an options object");
  napi_value v;
  bool has;
  if (napi_has_named_property(env, arg, "threads", &has) == napi_ok && has) {
    int t;
    napi_get_named_property(env, arg, "threads", &v);
    if (!get_int(env, v, &t) || t < 1 || t > MAX_THREADS) return throw_error(env, "configure: threads must be an integer from 1 to 64");
    wanted_threads = t;
  }
  if (napi_has_named_property(env, arg, "variant", &has) == napi_ok && has) {
    char name[32];
    size_t len;
    napi_get_named_property(env, arg, "variant", &v);
    if (napi_get_value_string_utf8(env, v, name, sizeof name, &len) != napi_ok) return throw_error(env, "configure: variant must be a string");
    const variant *found = NULL;
    for (int i = 0; i < VARIANT_COUNT; i++)
      if (!strcmp(VARIANTS[i].name, name) && variant_supported(&VARIANTS[i])) found = &VARIANTS[i];
    if (!found) return throw_error(env, "configure: this CPU or build does not support that variant");
    current = found;
  }
  return make_info(env);
}

NAPI_MODULE_INIT() {
  if (!current) {
    for (int i = 0; i < VARIANT_COUNT && !current; i++)
      if (variant_supported(&VARIANTS[i])) current = &VARIANTS[i];
  }
  napi_property_descriptor props[] = {
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dFilterGrad", NULL, conv2d_filter_grad, NULL, NULL, NULL, napi_default, NULL},
      {"maxPool", NULL, max_pool, NULL, NULL, NULL, napi_default, NULL},
      {"addRelu", NULL, add_relu, NULL, NULL, NULL, napi_default, NULL},
      {"reluGrad", NULL, relu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"augResizedCrop", NULL, aug_resized_crop, NULL, NULL, NULL, napi_default, NULL},
      {"augRotate", NULL, aug_rotate, NULL, NULL, NULL, napi_default, NULL},
      {"augBlend", NULL, aug_blend, NULL, NULL, NULL, napi_default, NULL},
      {"augHue", NULL, aug_hue, NULL, NULL, NULL, napi_default, NULL},
      {"augBlur", NULL, aug_blur, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, get_info, NULL, NULL, NULL, napi_default, NULL},
      {"configure", NULL, configure, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
