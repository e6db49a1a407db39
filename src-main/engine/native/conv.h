/* Shared declarations of FundusLab's native convolution kernels (conv.c, addon.c). */
#ifndef FL_CONV_H
#define FL_CONV_H

/* One convolution: NHWC input x [batch, in_h, in_w, in_c], HWIO filter [k_h, k_w, in_c, out_c], output
 * or dy [batch, out_h, out_w, out_c]; stride and the padding before the first row and column. */
typedef struct {
  const float *x;
  const float *w;  /* forward: the filter */
  float *y;        /* forward: the output */
  const float *dy; /* filter gradient: the output's gradient */
  float *dw;       /* filter gradient: the result [k_h, k_w, in_c, out_c] */
  const float *bias;     /* forward: added per output channel after the sum, or NULL */
  const float *residual; /* forward: added element by element after the bias (shaped as the output), or NULL */
  int relu;          /* forward: max(0, ·) last when 1 (NaN stays NaN) */
  int batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  int threads;
} fl_conv;

/* Runs fn(arg, thread) on `threads` threads (the caller is one of them) and returns when all are done. */
typedef void (*fl_task_fn)(void *arg, int thread);
typedef void (*fl_parallel_fn)(fl_task_fn fn, void *arg, int threads);

int fl_conv_forward_avx512(const fl_conv *p, fl_parallel_fn parallel);
int fl_conv_filter_grad_avx512(const fl_conv *p, fl_parallel_fn parallel);
int fl_conv_forward_avx2(const fl_conv *p, fl_parallel_fn parallel);
int fl_conv_filter_grad_avx2(const fl_conv *p, fl_parallel_fn parallel);
int fl_conv_forward_generic(const fl_conv *p, fl_parallel_fn parallel);
int fl_conv_filter_grad_generic(const fl_conv *p, fl_parallel_fn parallel);

#endif
