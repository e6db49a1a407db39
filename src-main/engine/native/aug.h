/* The augmentation's per-image loops (aug.c); arrays are one NHWC image of float32 values. */
#ifndef FUNDUSLAB_AUG_H
#define FUNDUSLAB_AUG_H

enum { FL_BLEND_BLACK = 0, FL_BLEND_MEAN = 1, FL_BLEND_GRAY = 2 };

/* The box (top, left, height, width) of an h × w image resized to out_h × out_w, bilinear; −1: out of memory. */
int fl_aug_resized_crop(const float *src, int h, int w, int c, int top, int left, int height, int width, float *dst, int out_h,
                        int out_w);
/* The image rotated about its centre (cos_a, sin_a of the angle), bilinear, zero outside. */
void fl_aug_rotate(const float *src, int h, int w, int c, double cos_a, double sin_a, float *dst);
/* In place, px RGB pixels: clamp(f·x + (1 − f)·target), the target black, the mean luminance or the pixel's luminance. */
void fl_aug_blend(float *d, long px, double factor, int target);
/* In place, px RGB pixels: the hue shifted by `shift` (HSV, mod 1). */
void fl_aug_hue(float *d, long px, double shift);
/* Gaussian blur with the k-tap kernel, reflect padding; col: h·w·c floats, padded: (w + k − 1)·c floats of scratch. */
void fl_aug_blur(const float *src, int h, int w, int c, const float *kern, int k, float *dst, float *col, float *padded);

#endif
