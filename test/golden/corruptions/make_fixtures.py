#!/usr/bin/python3
"""Golden fixtures for FundusLab's image corruptions (src-main/analysis/corruptions).

Run with Debian's Python (numpy 1.24, scipy 1.10, scikit-image 0.19, OpenCV 4.6, Pillow 9.4, numba
0.56; `apt-get install python3-scipy python3-skimage python3-opencv python3-numba`; NOT the
`python3` on PATH), from the repository root, with the shared data beside the repository:

    /usr/bin/python3 test/golden/corruptions/make_fixtures.py

It rewrites, beside itself (deterministically: every random stream is seeded):

  images/<name>.rgb   three fixture images, raw 8-bit RGB (HWC), cut from IDRiD_05 (IDRiD, CC BY 4.0,
                      Porwal et al. 2018) and box-downscaled: disc_64x64 (optic disc and vessels),
                      edge_96x64 (fundus border with black background, landscape), tall_32x40 (disc
                      and border, portrait, the minimum side 32).
  reference.json      THE REFERENCE WITH ITS OWN RANDOMNESS: for each image, corruption and severity,
                      the statistics of the corrupted image against the clean one (PSNR over all
                      values; per channel mean shift and standard-deviation shift, corrupted minus
                      clean) — mean and standard deviation over 40 numpy seeds for the stochastic
                      corruptions (1 run for the deterministic ones). Frost is absent: its textures
                      are the package's photographs, which are not available here.
  parity.json         THE REFERENCE FORMULAS FED FUNDUSLAB'S RANDOM NUMBERS: the same computations
  parity.bin.gz       with every random draw taken from a re-implementation of FundusLab's generator
                      (mulberry32 `Rng`, src-main/random/prng.ts) in the order the TypeScript code
                      draws (documented in each corruption's module), so the TypeScript output must
                      match value for value. parity.bin.gz holds the outputs for tall_32x40 (all
                      corruptions × severities, concatenated in parity.json's order); parity.json the
                      statistics for all three images. Frost here uses five small formula textures
                      (frost_test_texture below, re-implemented in the test) instead of photographs.
  helpers.json        cv2 outputs for the OpenCV steps of spatter (Canny, distanceTransform, blur,
                      equalizeHist, filter2D) on a liquid-like plane, cv2.resize(INTER_CUBIC) of the
                      formula textures, and the reference's defocus disk kernels.

The reference is the `imagecorruptions` package (bethgelab/imagecorruptions, corruptions.py, the
version with numba glass blur and the shift-based motion blur). It is not installable offline, so its
formulas are written out below, following its code line by line; the parameter tables are its
tables. Only the random draws are abstracted (class NumpyDraws: the package's own numpy calls;
class MirrorDraws: FundusLab's stream). Glass blur's pixel shuffle runs with numba as in the package
(numba's generator seeded inside the jitted code).
"""
import base64
import gzip
import json
import math
import os
import sys
import warnings
from io import BytesIO

import cv2
import numba
import numpy as np
import PIL
import scipy
import skimage
from numba import njit
from PIL import Image
from scipy.ndimage import map_coordinates
from scipy.ndimage import zoom as scizoom
from skimage.filters import gaussian
from skimage.util import random_noise

warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
DATA = os.environ.get('FUNDUSLAB_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
IDRID = os.path.join(DATA, 'idrid-seg-quarter', 'A. Segmentation', '1. Original Images', 'a. Training Set', 'IDRiD_05.jpg')

# name -> (crop box in the 1072x712 IDRiD_05, (width, height))
FIXTURES = {
    'disc_64x64': ((612, 202, 868, 458), (64, 64)),
    'edge_96x64': ((0, 228, 384, 484), (96, 64)),
    'tall_32x40': ((700, 180, 940, 480), (32, 40)),
}
PARITY_IMAGE = 'tall_32x40'
REFERENCE_SEEDS = 40

NAMES = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur',
         'zoom_blur', 'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate',
         'jpeg_compression', 'speckle_noise', 'gaussian_blur', 'spatter', 'saturate']
STOCHASTIC = {'gaussian_noise', 'shot_noise', 'impulse_noise', 'glass_blur', 'motion_blur', 'snow', 'frost',
              'fog', 'elastic_transform', 'speckle_noise', 'spatter'}

M32 = 0xFFFFFFFF
EMPTY_SPATTER = [0]


# ---- FundusLab's generator (src-main/random/prng.ts), bit for bit ----------------------------------
def imul(a, b):
    return (a * b) & M32


def mix_seed(a, b):
    h = imul((a & M32) ^ 0x9E3779B9, 0x85EBCA6B) ^ imul(((b & M32) + 0x632BE5AB) & M32, 0xC2B2AE35)
    h &= M32
    h ^= h >> 16
    h = imul(h, 0x7FEB352D)
    h ^= h >> 15
    h = imul(h, 0x846CA68B)
    h ^= h >> 16
    return h & M32


class Mulberry:
    """`Rng` of prng.ts: mulberry32 on a Weyl sequence (state += 0x6d2b79f5), Box-Muller with a spare."""

    def __init__(self, seed):
        self.state = mix_seed(seed & M32, 0x1234567) or 1
        self.spare = None

    def uniforms(self, n):
        k = np.arange(1, n + 1, dtype=np.uint64)
        t = ((np.uint64(self.state) + k * np.uint64(0x6D2B79F5)) & np.uint64(M32)).astype(np.uint64)
        self.state = int((self.state + n * 0x6D2B79F5) & M32)
        m = np.uint64(M32)
        t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & m
        t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m)) & m)
        t = (t ^ (t >> np.uint64(14))) & m
        return t.astype(np.float64) / 4294967296.0

    def next(self):
        return float(self.uniforms(1)[0])

    def normals(self, n):
        out = np.empty(n)
        i = 0
        if self.spare is not None and n > 0:
            out[0] = self.spare
            self.spare = None
            i = 1
        m = n - i
        pairs = (m + 1) // 2
        if pairs:
            u = self.uniforms(2 * pairs)
            a = np.maximum(u[0::2], 1e-12)
            b = u[1::2]
            r = np.sqrt(-2 * np.log(a))
            cosv = r * np.cos(2 * math.pi * b)
            sinv = r * np.sin(2 * math.pi * b)
            inter = np.empty(2 * pairs)
            inter[0::2] = cosv
            inter[1::2] = sinv
            out[i:] = inter[:m]
            if m % 2 == 1:
                self.spare = float(inter[-1])
        return out


# ---- the two sources of random draws ---------------------------------------------------------------
class NumpyDraws:
    """The package's own calls on numpy's global generator (numba's, for glass blur)."""

    def __init__(self, seed):
        np.random.seed(seed)
        self.seed = seed

    def normal(self, shape, loc=0.0, scale=1.0):
        return np.random.normal(size=shape, loc=loc, scale=scale)

    def uniform(self, lo, hi, shape=None):
        return np.random.uniform(lo, hi, shape)

    def randint(self, lo, hi):
        return np.random.randint(lo, hi)

    def poisson_scaled(self, x, c):
        return np.random.poisson(x * c) / float(c)

    def salt_and_pepper(self, x, amount):
        # random_noise uses its own Generator; seeded from numpy's stream for reproducibility.
        return random_noise(x, mode='s&p', amount=amount, seed=int(np.random.randint(2 ** 31)))

    def glass_shuffle(self, x, c):
        _numba_seed(int(np.random.randint(2 ** 31)))
        return _shuffle_pixels_njit_glass_blur(x.shape[0], x.shape[1], x, c)


class MirrorDraws:
    """FundusLab's stream (Mulberry) consumed in the TypeScript code's order."""

    def __init__(self, seed):
        self.rng = Mulberry(seed)
        self.seed = seed

    def normal(self, shape, loc=0.0, scale=1.0):
        n = int(np.prod(shape))
        return (loc + scale * self.rng.normals(n)).reshape(shape)

    def uniform(self, lo, hi, shape=None):
        if shape is None:
            return lo + (hi - lo) * self.rng.next()
        n = int(np.prod(shape))
        return (lo + (hi - lo) * self.rng.uniforms(n)).reshape(shape)

    def randint(self, lo, hi):
        return lo + int(math.floor(self.rng.next() * (hi - lo)))

    def poisson_scaled(self, x, c):
        u = self.rng.uniforms(x.size).reshape(x.shape)
        out = np.empty(x.shape)
        tables = {}
        flat_x = x.ravel()
        flat_u = u.ravel()
        flat_o = out.ravel()
        for i in range(flat_x.size):
            lam = flat_x[i] * c
            cdf = tables.get(lam)
            if cdf is None:
                cdf = tables[lam] = poisson_cdf(lam)
            k = int(np.searchsorted(cdf, flat_u[i], side='right'))
            flat_o[i] = min(k, len(cdf) - 1)
        return out / float(c)

    def salt_and_pepper(self, x, amount):
        u = self.rng.uniforms(x.size).reshape(x.shape)
        out = x.copy()
        out[u < amount] = 0.0
        out[u < amount / 2] = 1.0
        return out

    def glass_shuffle(self, x, c):
        sigma, d, iterations = c
        h, w = x.shape[:2]
        per = (h - 2 * d) * (w - 2 * d)
        for _ in range(iterations):
            u = self.rng.uniforms(2 * per) if per > 0 else np.zeros(0)
            k = 0
            for hh in range(h - d, d, -1):
                for ww in range(w - d, d, -1):
                    dx = -d + int(math.floor(u[k] * 2 * d))
                    dy = -d + int(math.floor(u[k + 1] * 2 * d))
                    k += 2
                    x[hh, ww] = x[hh + dy, ww + dx]
        return x


def poisson_cdf(lam):
    cdf = []
    p = math.exp(-lam)
    s = p
    cdf.append(s)
    k = 1
    while k <= lam or p >= 1e-17:
        p = (p * lam) / k
        s += p
        cdf.append(s)
        k += 1
        if k > 10001:
            break
    return np.array(cdf)


@njit()
def _numba_seed(s):
    np.random.seed(s)


@njit()
def _shuffle_pixels_njit_glass_blur(d0, d1, x, c):
    # the package's function: x[h, w], x[h', w'] = x[h', w'], x[h, w] on row views copies x[h', w']
    # into x[h, w] and leaves x[h', w'] unchanged (numpy and numba alike).
    for i in range(c[2]):
        for h in range(d0 - c[1], c[1], -1):
            for w in range(d1 - c[1], c[1], -1):
                dx, dy = np.random.randint(-c[1], c[1], size=(2,))
                h_prime, w_prime = h + dy, w + dx
                x[h, w], x[h_prime, w_prime] = x[h_prime, w_prime], x[h, w]
    return x


# ---- the reference's helpers ------------------------------------------------------------------------
def disk(radius, alias_blur=0.1, dtype=np.float32):
    if radius <= 8:
        L = np.arange(-8, 8 + 1)
        ksize = (3, 3)
    else:
        L = np.arange(-radius, radius + 1)
        ksize = (5, 5)
    X, Y = np.meshgrid(L, L)
    aliased_disk = np.array((X ** 2 + Y ** 2) <= radius ** 2, dtype=dtype)
    aliased_disk /= np.sum(aliased_disk)
    return cv2.GaussianBlur(aliased_disk, ksize=ksize, sigmaX=alias_blur)


def plasma_fractal(R, mapsize=256, wibbledecay=3):
    assert (mapsize & (mapsize - 1) == 0)
    maparray = np.empty((mapsize, mapsize), dtype=np.float64)
    maparray[0, 0] = 0
    stepsize = mapsize
    wibble = 100

    def wibbledmean(array):
        return array / 4 + wibble * R.uniform(-wibble, wibble, array.shape)

    def fillsquares():
        cornerref = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        squareaccum = cornerref + np.roll(cornerref, shift=-1, axis=0)
        squareaccum += np.roll(squareaccum, shift=-1, axis=1)
        maparray[stepsize // 2:mapsize:stepsize, stepsize // 2:mapsize:stepsize] = wibbledmean(squareaccum)

    def filldiamonds():
        mapsize_ = maparray.shape[0]
        drgrid = maparray[stepsize // 2:mapsize_:stepsize, stepsize // 2:mapsize_:stepsize]
        ulgrid = maparray[0:mapsize_:stepsize, 0:mapsize_:stepsize]
        ldrsum = drgrid + np.roll(drgrid, 1, axis=0)
        lulsum = ulgrid + np.roll(ulgrid, -1, axis=1)
        ltsum = ldrsum + lulsum
        maparray[0:mapsize_:stepsize, stepsize // 2:mapsize_:stepsize] = wibbledmean(ltsum)
        tdrsum = drgrid + np.roll(drgrid, 1, axis=1)
        tulsum = ulgrid + np.roll(ulgrid, -1, axis=0)
        ttsum = tdrsum + tulsum
        maparray[stepsize // 2:mapsize_:stepsize, 0:mapsize_:stepsize] = wibbledmean(ttsum)

    while stepsize >= 2:
        fillsquares()
        filldiamonds()
        stepsize //= 2
        wibble /= wibbledecay

    maparray -= maparray.min()
    return maparray / maparray.max()


def clipped_zoom(img, zoom_factor):
    ch0 = int(np.ceil(img.shape[0] / float(zoom_factor)))
    top0 = (img.shape[0] - ch0) // 2
    ch1 = int(np.ceil(img.shape[1] / float(zoom_factor)))
    top1 = (img.shape[1] - ch1) // 2
    img = scizoom(img[top0:top0 + ch0, top1:top1 + ch1], (zoom_factor, zoom_factor, 1), order=1)
    return img


def getMotionBlurKernel(width, sigma):
    k = (np.exp(- np.arange(width) ** 2 / (2 * (sigma ** 2)))) / (np.sqrt(2 * np.pi) * sigma)
    return k / np.sum(k)


def shift(image, dx, dy):
    if dx < 0:
        shifted = np.roll(image, shift=image.shape[1] + dx, axis=1)
        shifted[:, dx:] = shifted[:, dx - 1:dx]
    elif dx > 0:
        shifted = np.roll(image, shift=dx, axis=1)
        shifted[:, :dx] = shifted[:, dx:dx + 1]
    else:
        shifted = image
    if dy < 0:
        shifted = np.roll(shifted, shift=image.shape[0] + dy, axis=0)
        shifted[dy:, :] = shifted[dy - 1:dy, :]
    elif dy > 0:
        shifted = np.roll(shifted, shift=dy, axis=0)
        shifted[:dy, :] = shifted[dy:dy + 1, :]
    return shifted


def _motion_blur(x, radius, sigma, angle):
    width = radius * 2 + 1
    kernel = getMotionBlurKernel(width, sigma)
    point = (width * np.sin(np.deg2rad(angle)), width * np.cos(np.deg2rad(angle)))
    hypot = math.hypot(point[0], point[1])
    blurred = np.zeros_like(x, dtype=np.float32)
    for i in range(width):
        dy = -math.ceil(((i * point[0]) / hypot) - 0.5)
        dx = -math.ceil(((i * point[1]) / hypot) - 0.5)
        if np.abs(dy) >= x.shape[0] or np.abs(dx) >= x.shape[1]:
            break
        shifted = shift(x, dx, dy)
        blurred = blurred + kernel[i] * shifted
    return blurred


# ---- the reference's corruptions (x: PIL RGB image; R: the random draws) ---------------------------
def gaussian_noise(x, severity, R):
    c = [.08, .12, 0.18, 0.26, 0.38][severity - 1]
    x = np.array(x) / 255.
    return np.clip(x + R.normal(x.shape, 0.0, c), 0, 1) * 255


def shot_noise(x, severity, R):
    c = [60, 25, 12, 5, 3][severity - 1]
    x = np.array(x) / 255.
    return np.clip(R.poisson_scaled(x, c), 0, 1) * 255


def impulse_noise(x, severity, R):
    c = [.03, .06, .09, 0.17, 0.27][severity - 1]
    x = R.salt_and_pepper(np.array(x) / 255., c)
    return np.clip(x, 0, 1) * 255


def speckle_noise(x, severity, R):
    c = [.15, .2, 0.35, 0.45, 0.6][severity - 1]
    x = np.array(x) / 255.
    return np.clip(x + x * R.normal(x.shape, 0.0, c), 0, 1) * 255


def gaussian_blur(x, severity, R):
    c = [1, 2, 3, 4, 6][severity - 1]
    x = gaussian(np.array(x) / 255., sigma=c, multichannel=True)
    return np.clip(x, 0, 1) * 255


def glass_blur(x, severity, R):
    c = [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)][severity - 1]
    x = np.uint8(gaussian(np.array(x) / 255., sigma=c[0], multichannel=True) * 255)
    x = R.glass_shuffle(x, c)
    return np.clip(gaussian(x / 255., sigma=c[0], multichannel=True), 0, 1) * 255


def defocus_blur(x, severity, R):
    c = [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)][severity - 1]
    x = np.array(x) / 255.
    kernel = disk(radius=c[0], alias_blur=c[1])
    channels = []
    for d in range(3):
        channels.append(cv2.filter2D(x[:, :, d], -1, kernel))
    channels = np.array(channels).transpose((1, 2, 0))
    return np.clip(channels, 0, 1) * 255


def motion_blur_at(x, severity, angle):
    c = [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)][severity - 1]
    x = np.array(x)
    x = _motion_blur(x, radius=c[0], sigma=c[1], angle=angle)
    return np.clip(x, 0, 255)


def motion_blur(x, severity, R):
    return motion_blur_at(x, severity, R.uniform(-45, 45))


def zoom_blur(x, severity, R):
    c = [np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.02),
         np.arange(1, 1.26, 0.02), np.arange(1, 1.31, 0.03)][severity - 1]
    x = (np.array(x) / 255.).astype(np.float32)
    out = np.zeros_like(x)
    for zoom_factor in c:
        zoom_layer = clipped_zoom(x, zoom_factor)
        out += zoom_layer[:x.shape[0], :x.shape[1], :]
    x = (x + out) / (len(c) + 1)
    return np.clip(x, 0, 1) * 255


def next_power_of_2(x):
    return 1 if x == 0 else 2 ** (x - 1).bit_length()


def fog(x, severity, R):
    c = [(1.5, 2), (2., 2), (2.5, 1.7), (2.5, 1.5), (3., 1.4)][severity - 1]
    shape = np.array(x).shape
    max_side = np.max(shape)
    map_size = next_power_of_2(int(max_side))
    x = np.array(x) / 255.
    max_val = x.max()
    x += c[0] * plasma_fractal(R, mapsize=map_size, wibbledecay=c[1])[:shape[0], :shape[1]][..., np.newaxis]
    return np.clip(x * max_val / (max_val + c[0]), 0, 1) * 255


def frost(x, severity, R, textures):
    """The package's frost with `textures` (RGB arrays) in place of its photographs."""
    c = [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)][severity - 1]
    idx = R.randint(0, 5)
    frost_img = textures[idx][..., [2, 1, 0]]  # as cv2.imread would return it (BGR)
    frost_shape = frost_img.shape
    x_shape = np.array(x).shape
    scaling_factor = 1
    if frost_shape[0] >= x_shape[0] and frost_shape[1] >= x_shape[1]:
        scaling_factor = 1
    elif frost_shape[0] < x_shape[0] and frost_shape[1] >= x_shape[1]:
        scaling_factor = x_shape[0] / frost_shape[0]
    elif frost_shape[0] >= x_shape[0] and frost_shape[1] < x_shape[1]:
        scaling_factor = x_shape[1] / frost_shape[1]
    elif frost_shape[0] < x_shape[0] and frost_shape[1] < x_shape[1]:
        scaling_factor_0 = x_shape[0] / frost_shape[0]
        scaling_factor_1 = x_shape[1] / frost_shape[1]
        scaling_factor = np.maximum(scaling_factor_0, scaling_factor_1)
    scaling_factor *= 1.1
    new_shape = (int(np.ceil(frost_shape[1] * scaling_factor)), int(np.ceil(frost_shape[0] * scaling_factor)))
    frost_rescaled = cv2.resize(np.ascontiguousarray(frost_img), dsize=new_shape, interpolation=cv2.INTER_CUBIC)
    x_start = R.randint(0, frost_rescaled.shape[0] - x_shape[0])
    y_start = R.randint(0, frost_rescaled.shape[1] - x_shape[1])
    frost_rescaled = frost_rescaled[x_start:x_start + x_shape[0], y_start:y_start + x_shape[1]][..., [2, 1, 0]]
    return np.clip(c[0] * np.array(x) + c[1] * frost_rescaled, 0, 255)


def snow(x, severity, R):
    c = [(0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7), (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
         (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65), (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55)][severity - 1]
    x = np.array(x, dtype=np.float32) / 255.
    snow_layer = R.normal(x.shape[:2], c[0], c[1])
    snow_layer = clipped_zoom(snow_layer[..., np.newaxis], c[2])
    snow_layer[snow_layer < c[3]] = 0
    snow_layer = np.clip(snow_layer.squeeze(), 0, 1)
    snow_layer = _motion_blur(snow_layer, radius=c[4], sigma=c[5], angle=R.uniform(-135, -45))
    snow_layer = np.round(snow_layer * 255).astype(np.uint8) / 255.
    snow_layer = snow_layer[..., np.newaxis]
    snow_layer = snow_layer[:x.shape[0], :x.shape[1], :]
    x = c[6] * x + (1 - c[6]) * np.maximum(x, cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).reshape(x.shape[0], x.shape[1], 1) * 1.5 + 0.5)
    return np.clip(x + snow_layer + np.rot90(snow_layer, k=2), 0, 1) * 255


def spatter(x, severity, R):
    c = [(0.65, 0.3, 4, 0.69, 0.6, 0), (0.65, 0.3, 3, 0.68, 0.6, 0), (0.65, 0.3, 2, 0.68, 0.5, 0),
         (0.65, 0.3, 1, 0.65, 1.5, 1), (0.67, 0.4, 1, 0.65, 1.5, 1)][severity - 1]
    x_PIL = x
    x = np.array(x, dtype=np.float32) / 255.
    liquid_layer = R.normal(x.shape[:2], c[0], c[1])
    liquid_layer = gaussian(liquid_layer, sigma=c[2])
    liquid_layer[liquid_layer < c[3]] = 0
    if c[5] == 0:
        liquid_layer = (liquid_layer * 255).astype(np.uint8)
        dist = 255 - cv2.Canny(liquid_layer, 50, 150)
        dist = cv2.distanceTransform(dist, cv2.DIST_L2, 5)
        _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
        dist = cv2.blur(dist, (3, 3)).astype(np.uint8)
        dist = cv2.equalizeHist(dist)
        ker = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
        dist = cv2.filter2D(dist, cv2.CV_8U, ker)
        dist = cv2.blur(dist, (3, 3)).astype(np.float32)
        m = cv2.cvtColor(liquid_layer * dist, cv2.COLOR_GRAY2BGRA)
        if np.max(m[..., 0]) == 0:
            # FundusLab's documented deviation: no liquid leaves the image unchanged (the package
            # divides 0 by 0 here and returns a black image).
            EMPTY_SPATTER[0] += 1
            return np.array(x_PIL).astype(np.float64)
        m /= np.max(m, axis=(0, 1))
        m *= c[4]
        color = np.concatenate((175 / 255. * np.ones_like(m[..., :1]), 238 / 255. * np.ones_like(m[..., :1]),
                                238 / 255. * np.ones_like(m[..., :1])), axis=2)
        color = cv2.cvtColor(color, cv2.COLOR_BGR2BGRA)
        x = cv2.cvtColor(x, cv2.COLOR_BGR2BGRA)
        return cv2.cvtColor(np.clip(x + m * color, 0, 1), cv2.COLOR_BGRA2BGR) * 255
    else:
        m = np.where(liquid_layer > c[3], 1, 0)
        m = gaussian(m.astype(np.float32), sigma=c[4])
        m[m < 0.8] = 0
        x_rgb = np.array(x_PIL.convert('RGB'))
        color = np.concatenate((63 / 255. * np.ones_like(x_rgb[..., :1]), 42 / 255. * np.ones_like(x_rgb[..., :1]),
                                20 / 255. * np.ones_like(x_rgb[..., :1])), axis=2)
        color *= m[..., np.newaxis]
        x *= (1 - m[..., np.newaxis])
        return np.clip(x + color, 0, 1) * 255


def contrast(x, severity, R):
    c = [0.4, .3, .2, .1, .05][severity - 1]
    x = np.array(x) / 255.
    means = np.mean(x, axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1) * 255


def brightness(x, severity, R):
    c = [.1, .2, .3, .4, .5][severity - 1]
    x = np.array(x) / 255.
    x = skimage.color.rgb2hsv(x)
    x[:, :, 2] = np.clip(x[:, :, 2] + c, 0, 1)
    x = skimage.color.hsv2rgb(x)
    return np.clip(x, 0, 1) * 255


def saturate(x, severity, R):
    c = [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)][severity - 1]
    x = np.array(x) / 255.
    x = skimage.color.rgb2hsv(x)
    x[:, :, 1] = np.clip(x[:, :, 1] * c[0] + c[1], 0, 1)
    x = skimage.color.hsv2rgb(x)
    return np.clip(x, 0, 1) * 255


def jpeg_compression(x, severity, R):
    c = [25, 18, 15, 10, 7][severity - 1]
    output = BytesIO()
    x.save(output, 'JPEG', quality=c)
    return Image.open(output)


def pixelate(x, severity, R):
    c = [0.6, 0.5, 0.4, 0.3, 0.25][severity - 1]
    x_shape = np.array(x).shape
    x = x.resize((int(x_shape[1] * c), int(x_shape[0] * c)), Image.BOX)
    x = x.resize((x_shape[1], x_shape[0]), Image.NEAREST)
    return x


def elastic_transform(image, severity, R):
    image = np.array(image, dtype=np.float32) / 255.
    shape = image.shape
    shape_size = shape[:2]
    sigma = np.array(shape_size) * 0.01
    alpha = [250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12][severity - 1]
    max_dx = shape[0] * 0.005
    max_dy = shape[0] * 0.005
    dx = (gaussian(R.uniform(-max_dx, max_dx, shape[:2]), sigma, mode='reflect', truncate=3) * alpha).astype(np.float32)
    dy = (gaussian(R.uniform(-max_dy, max_dy, shape[:2]), sigma, mode='reflect', truncate=3) * alpha).astype(np.float32)
    dx, dy = dx[..., np.newaxis], dy[..., np.newaxis]
    x, y, z = np.meshgrid(np.arange(shape[1]), np.arange(shape[0]), np.arange(shape[2]))
    indices = np.reshape(y + dy, (-1, 1)), np.reshape(x + dx, (-1, 1)), np.reshape(z, (-1, 1))
    return np.clip(map_coordinates(image, indices, order=1, mode='reflect').reshape(shape), 0, 1) * 255


FUNCS = {f.__name__: f for f in [gaussian_noise, shot_noise, impulse_noise, defocus_blur, glass_blur, motion_blur,
                                  zoom_blur, snow, fog, brightness, contrast, elastic_transform, pixelate,
                                  jpeg_compression, speckle_noise, gaussian_blur, spatter, saturate]}


def corrupt(image, name, severity, R, textures=None):
    """imagecorruptions.corrupt: PIL image in, np.uint8 (truncating) of the result out."""
    pil = Image.fromarray(image)
    out = frost(pil, severity, R, textures) if name == 'frost' else FUNCS[name](pil, severity, R)
    return np.uint8(out)


# ---- frost test textures (re-implemented in the TypeScript test) ------------------------------------
FROST_TEST_SIZES = [(80, 60), (40, 30), (20, 60), (16, 16), (33, 41)]  # (width, height)


def frost_test_texture(index):
    w, h = FROST_TEST_SIZES[index]
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 37 + y * 11 + 5 * index) % 256
    g = (x * 13 + y * 29 + 7) % 256
    b = ((x ^ y) * 3 + index * 40) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


# ---- statistics -------------------------------------------------------------------------------------
def stats(clean, out):
    a = clean.astype(np.float64)
    b = out.astype(np.float64)
    mse = np.mean((a - b) ** 2)
    psnr = float('inf') if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
    return {
        'psnr': psnr,
        'meanShift': (b.mean(axis=(0, 1)) - a.mean(axis=(0, 1))).tolist(),
        'stdShift': (b.std(axis=(0, 1)) - a.std(axis=(0, 1))).tolist(),
    }


def summarise(runs):
    """mean and sample standard deviation (0 for one run) of each statistic over seeds."""
    def ms(vals):
        v = np.array(vals, dtype=np.float64)
        if np.all(np.isinf(v)):
            return [None, 0.0]
        return [float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0]
    return {
        'psnr': ms([r['psnr'] for r in runs]),
        'meanShift': [ms([r['meanShift'][c] for r in runs]) for c in range(3)],
        'stdShift': [ms([r['stdShift'][c] for r in runs]) for c in range(3)],
    }


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode('ascii')


def mirror_seed(image_index, name_index, severity):
    return 7000 + 1000 * image_index + 10 * name_index + severity


def main():
    os.makedirs(os.path.join(HERE, 'images'), exist_ok=True)
    src = Image.open(IDRID).convert('RGB')
    images = {}
    for name, (box, size) in FIXTURES.items():
        im = np.array(src.crop(box).resize(size, Image.BOX))
        with open(os.path.join(HERE, 'images', f'{name}.rgb'), 'wb') as f:
            f.write(im.tobytes())
        images[name] = im
    textures = [frost_test_texture(i) for i in range(5)]

    # reference.json: the package with numpy's randomness
    reference = {}
    for ii, (iname, im) in enumerate(images.items()):
        reference[iname] = {}
        for ni, name in enumerate(NAMES):
            if name == 'frost':
                continue
            per_sev = []
            for severity in range(1, 6):
                seeds = REFERENCE_SEEDS if name in STOCHASTIC else 1
                runs = []
                for s in range(seeds):
                    R = NumpyDraws(100000 * (ii + 1) + 1000 * ni + 10 * severity + s)
                    runs.append(stats(im, corrupt(im, name, severity, R)))
                per_sev.append(summarise(runs))
            reference[iname][name] = per_sev
        print('reference', iname, 'water spatters without liquid so far:', EMPTY_SPATTER[0], file=sys.stderr)

    # parity: the formulas with FundusLab's stream
    parity = {'order': [], 'stats': {}}
    blobs = []
    for ii, (iname, im) in enumerate(images.items()):
        parity['stats'][iname] = {}
        for ni, name in enumerate(NAMES):
            per_sev = []
            for severity in range(1, 6):
                seed = mirror_seed(ii, ni, severity)
                out = corrupt(im, name, severity, MirrorDraws(seed), textures)
                st = stats(im, out)
                st['seed'] = seed
                per_sev.append(st)
                if iname == PARITY_IMAGE:
                    parity['order'].append([name, severity, seed])
                    blobs.append(out.tobytes())
            parity['stats'][iname][name] = per_sev
        print('parity', iname, file=sys.stderr)
    # motion blur at fixed angles (the direction geometry without the draw)
    parity['motionAngles'] = [-45.0, -30.5, -7.25, 0.0, 12.75, 33.3, 44.99]
    motion = []
    tall = images[PARITY_IMAGE]
    for angle in parity['motionAngles']:
        for severity in range(1, 6):
            motion.append(np.uint8(motion_blur_at(Image.fromarray(tall), severity, angle)).tobytes())
    with open(os.path.join(HERE, 'parity.bin.gz'), 'wb') as raw:
        with gzip.GzipFile(fileobj=raw, mode='wb', compresslevel=9, mtime=0) as f:
            f.write(b''.join(blobs + motion))

    # helpers.json: the OpenCV steps of spatter, bicubic resize, defocus kernels
    rs = np.random.RandomState(5)
    plane = gaussian(rs.normal(0.65, 0.3, (48, 64)), sigma=2)
    plane[plane < 0.66] = 0
    l8 = (plane * 255).astype(np.uint8)
    edges = cv2.Canny(l8, 50, 150)
    dist = cv2.distanceTransform(255 - edges, cv2.DIST_L2, 5)
    _, trunc = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
    blur_f = cv2.blur(trunc, (3, 3))
    d8 = blur_f.astype(np.uint8)
    eq = cv2.equalizeHist(d8)
    emb = cv2.filter2D(eq, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]))
    blur_u = cv2.blur(emb, (3, 3))
    helpers = {
        'plane': {'width': 64, 'height': 48, 'l8': b64(l8), 'canny': b64(edges), 'dist': b64(dist.astype(np.float32)),
                  'blurF32': b64(blur_f.astype(np.float32)), 'equalized': b64(eq), 'embossed': b64(emb), 'blurU8': b64(blur_u)},
        'cubic': [],
        'defocusKernels': [],
        'zoomFactors': [],
    }
    for i, t in enumerate(textures):
        h, w = t.shape[:2]
        for (nw, nh) in [(math.ceil(w * 1.1), math.ceil(h * 1.1)), (w * 2 + 1, h + 3), (max(8, w // 2), max(8, h // 2 + 1))]:
            r = cv2.resize(np.ascontiguousarray(t), dsize=(nw, nh), interpolation=cv2.INTER_CUBIC)
            helpers['cubic'].append({'texture': i, 'width': nw, 'height': nh, 'data': b64(r)})
    for (radius, alias) in [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)]:
        k = disk(radius, alias)
        helpers['defocusKernels'].append({'radius': radius, 'aliasBlur': alias, 'size': k.shape[0], 'values': [float(v) for v in k.ravel()]})
    for a in [np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.02), np.arange(1, 1.26, 0.02), np.arange(1, 1.31, 0.03)]:
        helpers['zoomFactors'].append([float(v) for v in a])

    meta = {
        'generator': 'test/golden/corruptions/make_fixtures.py',
        'versions': {'numpy': np.__version__, 'scipy': scipy.__version__, 'skimage': skimage.__version__,
                     'opencv': cv2.__version__, 'pillow': PIL.__version__, 'numba': numba.__version__},
        'images': {n: {'width': FIXTURES[n][1][0], 'height': FIXTURES[n][1][1]} for n in FIXTURES},
        'referenceSeeds': REFERENCE_SEEDS,
        'stochastic': sorted(STOCHASTIC),
        'parityImage': PARITY_IMAGE,
        'frostTestSizes': FROST_TEST_SIZES,
    }
    with open(os.path.join(HERE, 'reference.json'), 'w') as f:
        json.dump({'meta': meta, 'stats': reference}, f, separators=(',', ':'))
    with open(os.path.join(HERE, 'parity.json'), 'w') as f:
        json.dump({'meta': meta, **parity}, f, separators=(',', ':'))
    with open(os.path.join(HERE, 'helpers.json'), 'w') as f:
        json.dump(helpers, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
