/**
 * Procedural colour fundus photographs with diabetic-retinopathy lesions and exact pixel masks.
 *
 * SYNTHETIC DATA: nothing here is derived from a patient image. Every image is drawn from a seed:
 * a circular retina on black (vignetting, low-frequency illumination, choroidal mottling, per-image
 * fundus colour), an optic disc with a cup, a fovea/macula ~2.5 disc diameters temporal to the disc,
 * a branching vessel tree (arteries and veins, four arcades, random-walk tortuosity) and lesions
 * whose kinds and counts follow the ICDR grade (see LESION_COUNTS). Left eyes are mirror images of
 * right-eye geometry (the disc appears on the image's left for a left eye, as in EyePACS/IDRiD).
 *
 * The geometry is computed in units of the retina radius R, so the same seed renders the same
 * scene at any size. Everything is computed in Float32Array planes and quantised once at the end.
 */
import { Rng } from '../../random/prng';
import { drawCapsule, Stamp, valueNoise } from './raster';

export type Grade = 0 | 1 | 2 | 3 | 4;
export type Eye = 'left' | 'right';
export type FundusStyle = 'natural' | 'equalised';

export interface RenderFundusOptions {
  /** Square side in pixels, or an explicit width x height (the retina circle fits the shorter side). */
  size: number | { width: number; height: number };
  grade: Grade;
  eye: Eye;
  seed: number;
  /**
   * 'natural': orange-red camera colours like IDRiD; 'equalised': per-channel histogram equalisation inside the retina like the EyePACS-256
   * set.
   */
  style?: FundusStyle;
}

export interface LesionCounts {
  /** Microaneurysms drawn. */
  MA: number;
  /** Haemorrhages drawn (dot, blot, flame and pre-retinal). */
  HE: number;
  /** Hard-exudate spots drawn (they come in clusters). */
  EX: number;
  /** Soft exudates (cotton-wool spots) drawn. */
  SE: number;
  /** Neovascular tufts drawn (grade 4 only; no mask, as in IDRiD). */
  NV: number;
}

export interface FundusMasks {
  MA: Uint8Array;
  HE: Uint8Array;
  EX: Uint8Array;
  SE: Uint8Array;
  OD: Uint8Array;
}

export interface FundusImage {
  /** Interleaved RGB, 8 bits per channel, row-major, width*height*3 bytes. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Binary masks (0 or 1 per pixel), same size as the image, exactly where each lesion was drawn (alpha >= 0.5). */
  masks: FundusMasks;
  lesions: LesionCounts;
  /** Where things are, in pixels of the final (possibly mirrored) image. */
  geometry: { cx: number; cy: number; radius: number; disc: { x: number; y: number; radius: number }; fovea: { x: number; y: number } };
}

/**
 * Per-grade lesion count distributions (U{a..b} = uniform integer; p0 = probability of none).
 * Neighbouring grades overlap on purpose (e.g. grade 2 and grade 4 share haemorrhage counts, grade 1
 * MAs are tiny at 256 px), so the grade is learnable but not trivial.
 */
export const LESION_COUNTS: Record<
  Grade,
  {
    MA: [number, number];
    HE: [number, number];
    EXclusters: { p0: number; range: [number, number] };
    SE: { p0: number; range: [number, number] };
    NV: [number, number];
  }
> = {
  0: { MA: [0, 0], HE: [0, 0], EXclusters: { p0: 1, range: [0, 0] }, SE: { p0: 1, range: [0, 0] }, NV: [0, 0] },
  1: { MA: [1, 6], HE: [0, 0], EXclusters: { p0: 1, range: [0, 0] }, SE: { p0: 1, range: [0, 0] }, NV: [0, 0] },
  2: { MA: [3, 14], HE: [1, 10], EXclusters: { p0: 0.4, range: [1, 3] }, SE: { p0: 0.85, range: [1, 1] }, NV: [0, 0] },
  3: { MA: [6, 22], HE: [9, 28], EXclusters: { p0: 0.3, range: [1, 4] }, SE: { p0: 0.5, range: [1, 3] }, NV: [0, 0] },
  4: { MA: [4, 20], HE: [3, 20], EXclusters: { p0: 0.4, range: [1, 4] }, SE: { p0: 0.5, range: [1, 3] }, NV: [1, 3] },
};
/** Spots per hard-exudate cluster. */
export const EX_SPOTS_PER_CLUSTER: [number, number] = [3, 12];

type RGB = [number, number, number];

interface Scene {
  w: number;
  h: number;
  R: number;
  cx: number;
  cy: number;
  disc: { x: number; y: number; rx: number; ry: number };
  fovea: { x: number; y: number };
  rng: Rng;
  veins: Float32Array;
  arteries: Float32Array;
  /** Points along the four main arcades (for neovascularisation elsewhere). */
  arcadePoints: Array<[number, number]>;
}

function resolveSize(size: RenderFundusOptions['size']): { width: number; height: number } {
  const dims = typeof size === 'number' ? { width: size, height: size } : size;
  if (
    !Number.isInteger(dims.width) ||
    !Number.isInteger(dims.height) ||
    dims.width < 16 ||
    dims.height < 16 ||
    dims.width > 8192 ||
    dims.height > 8192
  ) {
    throw new RangeError(`fundus size must be whole pixels from 16 to 8192, got ${dims.width}x${dims.height}`);
  }
  return dims;
}

export function renderFundus(opts: RenderFundusOptions): FundusImage {
  const { width: w, height: h } = resolveSize(opts.size);
  if (![0, 1, 2, 3, 4].includes(opts.grade)) throw new RangeError(`grade must be 0-4, got ${String(opts.grade)}`);
  const style = opts.style ?? 'natural';
  const rng = new Rng(opts.seed);
  const geo = rng.fork(1);
  const n = w * h;

  // Geometry (canonical right eye: disc on the image's right, temporal side towards -x).
  const square = Math.abs(w - h) < 2;
  const R = square ? (Math.min(w, h) / 2) * geo.range(0.93, 1.0) : Math.min((h / 2) * geo.range(1.0, 1.08), (w / 2) * 0.97);
  const cx = w / 2 + geo.range(-0.015, 0.015) * R;
  const cy = h / 2 + geo.range(-0.015, 0.015) * R;
  const discR = R * geo.range(0.12, 0.15);
  const fovea = { x: cx - R * geo.range(0.04, 0.14), y: cy + R * geo.range(-0.05, 0.07) };
  const disc = {
    x: fovea.x + 2 * discR * geo.range(2.2, 2.6),
    y: fovea.y - R * geo.range(0.0, 0.08),
    rx: discR * geo.range(0.9, 1.0),
    ry: discR * geo.range(1.0, 1.12),
  };

  const scene: Scene = { w, h, R, cx, cy, disc, fovea, rng, veins: new Float32Array(n), arteries: new Float32Array(n), arcadePoints: [] };

  const pr = new Float32Array(n);
  const pg = new Float32Array(n);
  const pb = new Float32Array(n);
  const inside = new Float32Array(n); // anti-aliased retina coverage
  paintBackground(scene, geo.fork(2), pr, pg, pb, inside);
  drawVesselTree(scene, geo.fork(3));

  const les = rng.fork(4);
  const counts = drawLesionsPlan(scene, les, opts.grade);
  // Neovascularisation goes into the vessel planes before compositing.
  compositeVessels(scene, pr, pg, pb, geo.fork(5));

  const masks: FundusMasks = {
    MA: new Uint8Array(n),
    HE: new Uint8Array(n),
    EX: new Uint8Array(n),
    SE: new Uint8Array(n),
    OD: new Uint8Array(n),
  };
  markDisc(scene, masks.OD);
  const lesions = paintLesions(scene, counts, pr, pg, pb, masks);
  lesions.NV = counts.nv;
  paintDistractors(scene, les.fork(9), pr, pg, pb);

  // Sensor noise, then the retina edge (the black surround gets only faint noise).
  const noise = rng.fork(6);
  const sigma = noise.range(0.004, 0.011);
  for (let i = 0; i < n; i++) {
    const a = inside[i]!;
    const s = sigma * (0.25 + 0.75 * a);
    pr[i] = Math.max(0, pr[i]! * a + s * noise.normal());
    pg[i] = Math.max(0, pg[i]! * a + s * noise.normal());
    pb[i] = Math.max(0, pb[i]! * a + s * noise.normal());
  }
  for (const m of [masks.MA, masks.HE, masks.EX, masks.SE, masks.OD]) {
    for (let i = 0; i < n; i++) if (m[i] && inside[i]! < 0.5) m[i] = 0;
  }
  if (style === 'equalised') equalise(pr, pg, pb, inside);

  const rgb = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    rgb[j] = clamp255(pr[i]!);
    rgb[j + 1] = clamp255(pg[i]!);
    rgb[j + 2] = clamp255(pb[i]!);
  }
  const mirror = opts.eye === 'left';
  if (mirror) {
    mirrorRgb(rgb, w, h);
    for (const m of [masks.MA, masks.HE, masks.EX, masks.SE, masks.OD]) mirrorPlane(m, w, h);
  }
  const mx = (x: number) => (mirror ? w - 1 - x : x);
  return {
    rgb,
    width: w,
    height: h,
    masks,
    lesions,
    geometry: { cx: mx(cx), cy, radius: R, disc: { x: mx(disc.x), y: disc.y, radius: discR }, fovea: { x: mx(fovea.x), y: fovea.y } },
  };
}

function clamp255(v: number): number {
  const q = Math.round(v * 255);
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

function mirrorRgb(rgb: Uint8Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    let a = y * w * 3;
    let b = a + (w - 1) * 3;
    while (a < b) {
      for (let c = 0; c < 3; c++) {
        const t = rgb[a + c]!;
        rgb[a + c] = rgb[b + c]!;
        rgb[b + c] = t;
      }
      a += 3;
      b -= 3;
    }
  }
}

function mirrorPlane(m: Uint8Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) m.subarray(y * w, (y + 1) * w).reverse();
}

function paintBackground(s: Scene, rng: Rng, pr: Float32Array, pg: Float32Array, pb: Float32Array, inside: Float32Array): void {
  const { w, h, R, cx, cy, disc, fovea } = s;
  // Per-image fundus colour: orange-red with varying pigmentation and exposure.
  const exposure = rng.range(0.82, 1.08);
  const base: RGB = [rng.range(0.8, 0.97) * exposure, rng.range(0.3, 0.47) * exposure, rng.range(0.06, 0.17) * exposure];
  const vig = rng.range(0.35, 0.65);
  const vigPow = rng.range(2.2, 3.6);
  const haze = rng.range(0.0, 0.025);
  const gVig = rng.range(0.5, 0.7);
  const illum = valueNoise(w, h, rng.int(2, 4), rng.fork(1));
  const illumAmp = rng.range(0.08, 0.18);
  const mottle = valueNoise(w, h, Math.max(8, Math.round(Math.max(w, h) / 7)), rng.fork(2));
  const mottleAmp = rng.range(0.025, 0.06);
  const tint = valueNoise(w, h, 3, rng.fork(3));
  const tintAmp = rng.range(0.04, 0.1);
  const macSigma = 2 * Math.max(disc.rx, disc.ry) * rng.range(0.75, 1.0);
  const macDepth = rng.range(0.22, 0.4);
  const fovSigma = macSigma * 0.22;
  const fovDepth = rng.range(0.1, 0.25);
  const discBright = rng.range(0.85, 1.05);
  const discCol: RGB = [1.0 * discBright, 0.8 * discBright, 0.55 * discBright];
  const cupR = rng.range(0.3, 0.5);
  const cupDx = rng.range(-0.15, 0.05) * disc.rx; // slightly temporal
  const cupCol: RGB = [1.0, 0.93, 0.78];
  const invR = 1 / R;
  const inv2Mac = 1 / (2 * macSigma * macSigma);
  const inv2Fov = 1 / (2 * fovSigma * fovSigma);
  const haloR = 2.2;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const dx = x - cx;
      const d = Math.sqrt(dx * dx + dy * dy);
      let a = R - d + 0.5;
      if (a <= 0) {
        inside[i] = 0;
        continue;
      }
      if (a > 1) a = 1;
      inside[i] = a;
      const rr = d * invR;
      const fall = Math.pow(rr, vigPow);
      const il = 1 + illumAmp * illum[i]!;
      const v = (1 - vig * fall) * il;
      const m = mottle[i]! * mottleAmp;
      const t = tint[i]! * tintAmp;
      let r = base[0] * v * (1 + m * 0.6 + t * 0.3);
      // Red falls off towards the rim more than green and blue (which is why equalised images have cyan rims).
      let g = base[1] * (1 - vig * gVig * fall) * il * (1 + m + t * 0.8);
      let b = (base[2] * (1 - vig * 0.5 * fall) * (1 + m * 0.6 - t * 0.5) + haze * fall * rr) * il;
      // Macula and fovea: darker, browner.
      const fx = x - fovea.x;
      const fy = y - fovea.y;
      const f2 = fx * fx + fy * fy;
      const mac = macDepth * Math.exp(-f2 * inv2Mac) + fovDepth * Math.exp(-f2 * inv2Fov);
      r *= 1 - mac * 0.55;
      g *= 1 - mac * 0.85;
      b *= 1 - mac * 0.7;
      // Optic disc (with a soft peripapillary halo) and its cup.
      const ux = (x - disc.x) / disc.rx;
      const uy = (y - disc.y) / disc.ry;
      const q = Math.sqrt(ux * ux + uy * uy);
      if (q < haloR) {
        let da = (1 - q) * 6 + 0.5;
        da = da < 0 ? 0 : da > 1 ? 1 : da;
        const halo = q > 1 ? 0.18 * (1 - (q - 1) / (haloR - 1)) : 0.18;
        const k = Math.max(da * 0.85, halo) * v;
        r += (discCol[0] - r) * k;
        g += (discCol[1] - g) * k;
        b += (discCol[2] - b) * k;
        const cx2 = (x - disc.x - cupDx) / (disc.rx * cupR);
        const cy2 = (y - disc.y) / (disc.ry * cupR);
        const qc = Math.sqrt(cx2 * cx2 + cy2 * cy2);
        if (qc < 1.6) {
          let ca = (1 - qc) * 2 + 0.5;
          ca = ca < 0 ? 0 : ca > 1 ? 1 : ca;
          const kc = ca * 0.75 * v;
          r += (cupCol[0] - r) * kc;
          g += (cupCol[1] - g) * kc;
          b += (cupCol[2] - b) * kc;
        }
      }
      pr[i] = r;
      pg[i] = g;
      pb[i] = b;
    }
  }
}

function markDisc(s: Scene, od: Uint8Array): void {
  const { disc, w, h } = s;
  const x0 = Math.max(0, Math.floor(disc.x - disc.rx - 2));
  const x1 = Math.min(w - 1, Math.ceil(disc.x + disc.rx + 2));
  const y0 = Math.max(0, Math.floor(disc.y - disc.ry - 2));
  const y1 = Math.min(h - 1, Math.ceil(disc.y + disc.ry + 2));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const ux = (x - disc.x) / disc.rx;
      const uy = (y - disc.y) / disc.ry;
      // Same edge as the painted disc: alpha (1 - q) * 6 + 0.5 >= 0.5  <=>  q <= 1.
      if (ux * ux + uy * uy <= 1) od[y * w + x] = 1;
    }
  }
}

interface GrowCtx {
  s: Scene;
  rng: Rng;
  step: number;
  minWidth: number;
  budget: number;
}

/** Grows one vessel as a smoothed random walk, drawing capsules and spawning thinner branches. */
function grow(
  ctx: GrowCtx,
  plane: Float32Array,
  strength: number,
  x: number,
  y: number,
  theta: number,
  width: number,
  curv: number,
  maxSteps: number,
  depth: number,
  record: boolean,
): void {
  const { s, rng, step } = ctx;
  const { R, cx, cy, fovea } = s;
  let omega = 0;
  const tort = rng.range(0.008, 0.02) * (1 + depth * 0.4);
  const faz = 0.3 * Math.max(s.disc.rx, s.disc.ry) * 2;
  let sinceBranch = 0;
  const taper = rng.range(0.99, 0.997);
  for (let i = 0; i < maxSteps && ctx.budget > 0; i++) {
    ctx.budget--;
    omega = 0.9 * omega + tort * rng.normal();
    theta += curv + omega;
    curv *= 0.97;
    const nx = x + Math.cos(theta) * step;
    const ny = y + Math.sin(theta) * step;
    const ex = nx - cx;
    const ey = ny - cy;
    if (ex * ex + ey * ey > R * R * 0.985) break;
    // Vessels end at the foveal avascular zone.
    const vx = nx - fovea.x;
    const vy = ny - fovea.y;
    if (vx * vx + vy * vy < faz * faz) break;
    drawCapsule(plane, s.w, s.h, x, y, nx, ny, width / 2, strength);
    if (record && i % 3 === 0) s.arcadePoints.push([nx, ny]);
    x = nx;
    y = ny;
    width *= taper;
    if (width < ctx.minWidth) break;
    sinceBranch++;
    if (depth < 4 && sinceBranch > 5 && rng.chance(depth === 0 ? 0.07 : 0.05)) {
      sinceBranch = 0;
      const side = rng.chance(0.5) ? 1 : -1;
      const childW = width * rng.range(0.45, 0.75);
      if (childW >= ctx.minWidth) {
        const childSteps = Math.round(rng.range(0.25, 0.9) * (R / step) * Math.min(1, childW / (0.012 * R)));
        grow(
          ctx,
          plane,
          strength,
          x,
          y,
          theta + side * rng.range(0.5, 1.1),
          childW,
          -side * rng.range(0, 0.015),
          childSteps,
          depth + 1,
          false,
        );
      }
      width *= rng.range(0.88, 0.96);
    }
  }
}

function drawVesselTree(s: Scene, rng: Rng): void {
  const { R, disc } = s;
  const step = Math.max(1.2, 0.016 * R);
  const ctx: GrowCtx = { s, rng, step, minWidth: Math.max(0.45, 0.0032 * R), budget: 12000 };
  const veinW = R * rng.range(0.024, 0.03);
  const artW = veinW * rng.range(0.7, 0.8);
  const up = -Math.PI / 2;
  const down = Math.PI / 2;
  const long = Math.round((1.9 * R) / step);
  // Start angle and curvature per step in the canonical right eye (temporal = -x = angle pi).
  const trunks: Array<{ angle: number; curv: number; widthK: number; steps: number; arcade: boolean }> = [
    // superotemporal
    { angle: up - rng.range(0.15, 0.35), curv: -rng.range(0.03, 0.042), widthK: 1, steps: long, arcade: true },
    // inferotemporal
    { angle: down + rng.range(0.15, 0.35), curv: rng.range(0.03, 0.042), widthK: 1, steps: long, arcade: true },
    // superonasal
    { angle: up + rng.range(0.2, 0.5), curv: rng.range(0.0, 0.015), widthK: 0.75, steps: Math.round(long * 0.6), arcade: false },
    // inferonasal
    { angle: down - rng.range(0.2, 0.5), curv: -rng.range(0.0, 0.015), widthK: 0.75, steps: Math.round(long * 0.6), arcade: false },
    // small macular branches
    { angle: Math.PI + rng.range(-0.3, -0.1), curv: -0.004, widthK: 0.35, steps: Math.round(long * 0.3), arcade: false },
    { angle: Math.PI + rng.range(0.1, 0.3), curv: 0.004, widthK: 0.35, steps: Math.round(long * 0.3), arcade: false },
    { angle: rng.range(-0.3, 0.3), curv: 0, widthK: 0.4, steps: Math.round(long * 0.35), arcade: false }, // nasal
  ];
  for (const t of trunks) {
    for (const kind of ['vein', 'artery'] as const) {
      const plane = kind === 'vein' ? s.veins : s.arteries;
      const w0 = (kind === 'vein' ? veinW : artW) * t.widthK;
      const a0 = t.angle + (kind === 'vein' ? 1 : -1) * rng.range(0.04, 0.14);
      const ox = disc.x + Math.cos(a0) * disc.rx * 0.1;
      const oy = disc.y + Math.sin(a0) * disc.ry * 0.1;
      grow(ctx, plane, kind === 'vein' ? 1 : 0.85, ox, oy, a0, w0, t.curv, t.steps, t.arcade ? 0 : 1, t.arcade);
    }
  }
}

function compositeVessels(s: Scene, pr: Float32Array, pg: Float32Array, pb: Float32Array, rng: Rng): void {
  const kv: RGB = [rng.range(0.14, 0.22), rng.range(0.45, 0.56), rng.range(0.4, 0.5)];
  const ka: RGB = [rng.range(0.04, 0.09), rng.range(0.3, 0.4), rng.range(0.25, 0.35)];
  const { veins, arteries } = s;
  for (let i = 0; i < pr.length; i++) {
    const v = veins[i]!;
    const a = arteries[i]!;
    if (v === 0 && a === 0) continue;
    pr[i] = pr[i]! * (1 - v * kv[0]) * (1 - a * ka[0]);
    pg[i] = pg[i]! * (1 - v * kv[1]) * (1 - a * ka[1]);
    pb[i] = pb[i]! * (1 - v * kv[2]) * (1 - a * ka[2]);
  }
}

interface LesionPlan {
  ma: number;
  he: number;
  exClusters: number;
  se: number;
  nv: number;
  rng: Rng;
}

function countFrom(rng: Rng, spec: { p0: number; range: [number, number] }): number {
  return rng.chance(spec.p0) ? 0 : rng.int(spec.range[0], spec.range[1]);
}

/** Decides the lesion counts and draws neovascular tufts into the vessel planes. */
function drawLesionsPlan(s: Scene, rng: Rng, grade: Grade): LesionPlan {
  const spec = LESION_COUNTS[grade];
  const plan: LesionPlan = {
    ma: rng.int(spec.MA[0], spec.MA[1]),
    he: rng.int(spec.HE[0], spec.HE[1]),
    exClusters: countFrom(rng, spec.EXclusters),
    se: countFrom(rng, spec.SE),
    nv: rng.int(spec.NV[0], spec.NV[1]),
    rng: rng.fork(7),
  };
  const { R, disc } = s;
  for (let t = 0; t < plan.nv; t++) {
    let x: number;
    let y: number;
    if (s.arcadePoints.length === 0 || rng.chance(0.5)) {
      // NVD: on or next to the disc.
      const a = rng.range(0, 2 * Math.PI);
      const d = rng.range(0.3, 1.6) * disc.rx;
      x = disc.x + Math.cos(a) * d;
      y = disc.y + Math.sin(a) * d;
    } else {
      // NVE: along an arcade.
      const p = rng.pick(s.arcadePoints);
      x = p[0] + rng.normal() * 0.02 * R;
      y = p[1] + rng.normal() * 0.02 * R;
    }
    const radius = R * rng.range(0.05, 0.1);
    const loops = rng.int(7, 16);
    const width = Math.max(0.55, R * rng.range(0.004, 0.007));
    const step = Math.max(0.8, R * 0.008);
    for (let l = 0; l < loops; l++) {
      let px = x + rng.normal() * radius * 0.25;
      let py = y + rng.normal() * radius * 0.25;
      let th = rng.range(0, 2 * Math.PI);
      let om = 0;
      const steps = rng.int(10, 26);
      for (let k = 0; k < steps; k++) {
        om = 0.7 * om + 0.45 * rng.normal();
        th += om;
        // Stay within the tuft.
        const bx = px - x;
        const by = py - y;
        if (bx * bx + by * by > radius * radius) th = Math.atan2(-by, -bx) + rng.normal() * 0.5;
        const nx = px + Math.cos(th) * step;
        const ny = py + Math.sin(th) * step;
        drawCapsule(s.veins, s.w, s.h, px, py, nx, ny, width / 2, 0.9);
        px = nx;
        py = ny;
      }
    }
  }
  return plan;
}

/** A random point inside the retina (radius fraction <= maxR), away from the disc, optionally in a given quadrant around the fovea. */
function placePoint(s: Scene, rng: Rng, maxR: number, quadrant?: number, nearFovea?: number): [number, number] {
  const { R, cx, cy, disc, fovea } = s;
  for (let tries = 0; tries < 60; tries++) {
    let x: number;
    let y: number;
    if (nearFovea !== undefined) {
      const a = rng.range(0, 2 * Math.PI);
      const d = Math.sqrt(rng.next()) * nearFovea;
      x = fovea.x + Math.cos(a) * d;
      y = fovea.y + Math.sin(a) * d;
    } else {
      const a = quadrant === undefined ? rng.range(0, 2 * Math.PI) : (quadrant + rng.next()) * (Math.PI / 2);
      const d = Math.sqrt(rng.next()) * maxR * R;
      x = cx + Math.cos(a) * d;
      y = cy + Math.sin(a) * d;
    }
    const ddx = (x - disc.x) / disc.rx;
    const ddy = (y - disc.y) / disc.ry;
    const ex = x - cx;
    const ey = y - cy;
    if (ddx * ddx + ddy * ddy < 2.2 && tries < 59) continue;
    if (ex * ex + ey * ey > maxR * maxR * R * R && tries < 59) continue;
    return [x, y];
  }
  return [fovea.x, fovea.y];
}

type Mode = { kind: 'multiply'; f: RGB } | { kind: 'lift'; mul: RGB; add: RGB; strength: number };

/** Applies a stamp's alpha to the image and marks mask pixels with alpha >= 0.5. */
function applyStamp(s: Scene, st: Stamp, mode: Mode, pr: Float32Array, pg: Float32Array, pb: Float32Array, mask: Uint8Array | null): void {
  for (let yy = 0; yy < st.h; yy++) {
    for (let xx = 0; xx < st.w; xx++) {
      const a = st.alpha[yy * st.w + xx]!;
      if (a <= 0) continue;
      const i = (st.y0 + yy) * s.w + st.x0 + xx;
      const r = pr[i]!;
      const g = pg[i]!;
      const b = pb[i]!;
      if (mode.kind === 'multiply') {
        pr[i] = r * (1 - a * (1 - mode.f[0]));
        pg[i] = g * (1 - a * (1 - mode.f[1]));
        pb[i] = b * (1 - a * (1 - mode.f[2]));
      } else {
        const k = a * mode.strength;
        pr[i] = r + (Math.min(1.05, r * mode.mul[0] + mode.add[0]) - r) * k;
        pg[i] = g + (Math.min(1.0, g * mode.mul[1] + mode.add[1]) - g) * k;
        pb[i] = b + (Math.min(0.9, b * mode.mul[2] + mode.add[2]) - b) * k;
      }
      if (mask && a >= 0.5) mask[i] = 1;
    }
  }
}

function paintLesions(s: Scene, plan: LesionPlan, pr: Float32Array, pg: Float32Array, pb: Float32Array, masks: FundusMasks): LesionCounts {
  const { R, disc } = s;
  const rng = plan.rng;
  const counts: LesionCounts = { MA: 0, HE: 0, EX: 0, SE: 0, NV: 0 };
  const heCol: RGB = [rng.range(0.5, 0.66), rng.range(0.28, 0.42), rng.range(0.32, 0.46)];
  const maCol: RGB = [rng.range(0.45, 0.6), rng.range(0.22, 0.34), rng.range(0.28, 0.4)];

  // Haemorrhages: spread over all four quadrants when there are many (the 4-2-1 rule of severe NPDR).
  for (let k = 0; k < plan.he; k++) {
    const quadrant = plan.he >= 8 ? k % 4 : undefined;
    const [x, y] = placePoint(s, rng, 0.88, quadrant);
    const kind = rng.weighted([0.35, 0.35, 0.3]);
    const pad = R * 0.12;
    const st = new Stamp(x - pad, y - pad, x + pad, y + pad, s.w, s.h);
    if (kind === 0) {
      // blot: a few overlapping ellipses
      const r0 = R * rng.range(0.018, 0.04);
      const parts = rng.int(2, 4);
      for (let p = 0; p < parts; p++) {
        st.ellipse(
          x + rng.normal() * r0 * 0.45,
          y + rng.normal() * r0 * 0.45,
          r0 * rng.range(0.6, 1.0),
          r0 * rng.range(0.5, 0.9),
          rng.range(0, Math.PI),
          Math.max(0.8, r0 * 0.25),
        );
      }
    } else if (kind === 1) {
      // flame: elongated along the nerve fibres (radial from the disc)
      const len = R * rng.range(0.03, 0.065);
      const ang = Math.atan2(y - disc.y, x - disc.x) + rng.normal() * 0.2;
      st.ellipse(x, y, len, len * rng.range(0.22, 0.38), ang, Math.max(0.8, len * 0.15));
      if (rng.chance(0.5))
        st.ellipse(
          x + Math.cos(ang) * len * 0.5,
          y + Math.sin(ang) * len * 0.5,
          len * 0.6,
          len * 0.2,
          ang + rng.normal() * 0.15,
          Math.max(0.8, len * 0.12),
        );
    } else {
      // dot haemorrhage: round, bigger than a microaneurysm
      const r0 = R * rng.range(0.012, 0.02);
      st.ellipse(x, y, r0, r0 * rng.range(0.8, 1), 0, Math.max(0.7, r0 * 0.3));
    }
    applyStamp(s, st, { kind: 'multiply', f: heCol }, pr, pg, pb, masks.HE);
    counts.HE++;
  }
  // Grade 4 sometimes has a large pre-retinal (boat-shaped) haemorrhage.
  if (plan.nv > 0 && rng.chance(0.3)) {
    const [x, y] = placePoint(s, rng, 0.75);
    const r0 = R * rng.range(0.07, 0.12);
    const st = new Stamp(x - r0 * 1.5, y - r0 * 1.5, x + r0 * 1.5, y + r0 * 1.5, s.w, s.h);
    st.ellipse(x, y, r0 * 1.2, r0 * 0.8, rng.range(-0.3, 0.3), Math.max(1, r0 * 0.12));
    applyStamp(s, st, { kind: 'multiply', f: [heCol[0] * 0.9, heCol[1] * 0.8, heCol[2] * 0.8] }, pr, pg, pb, masks.HE);
    counts.HE++;
  }
  // Microaneurysms: tiny dark-red dots, mostly in the posterior pole.
  for (let k = 0; k < plan.ma; k++) {
    const [x, y] = rng.chance(0.6) ? placePoint(s, rng, 0.85, undefined, R * 0.45) : placePoint(s, rng, 0.85);
    const r0 = Math.max(0.75, R * rng.range(0.006, 0.011));
    const st = new Stamp(x - r0 - 3, y - r0 - 3, x + r0 + 3, y + r0 + 3, s.w, s.h);
    st.ellipse(x, y, r0, r0, 0, 0.6);
    applyStamp(s, st, { kind: 'multiply', f: maCol }, pr, pg, pb, masks.MA);
    counts.MA++;
  }
  // Soft exudates (cotton-wool spots): pale, fluffy, soft-edged, near the arcades.
  for (let k = 0; k < plan.se; k++) {
    const [x, y] = placePoint(s, rng, 0.7);
    const r0 = R * rng.range(0.025, 0.045);
    const st = new Stamp(x - r0 * 2, y - r0 * 2, x + r0 * 2, y + r0 * 2, s.w, s.h);
    for (let p = 0; p < 3; p++)
      st.ellipse(
        x + rng.normal() * r0 * 0.3,
        y + rng.normal() * r0 * 0.3,
        r0 * rng.range(0.7, 1),
        r0 * rng.range(0.5, 0.8),
        rng.range(0, Math.PI),
        r0 * 0.5,
      );
    applyStamp(s, st, { kind: 'lift', mul: [1.08, 1.35, 1.6], add: [0.08, 0.16, 0.14], strength: 0.75 }, pr, pg, pb, masks.SE);
    counts.SE++;
  }
  // Hard exudates: bright yellow, sharp-edged spots in clusters (often circinate around the macula).
  for (let c = 0; c < plan.exClusters; c++) {
    const [x, y] = rng.chance(0.65) ? placePoint(s, rng, 0.85, undefined, R * 0.4) : placePoint(s, rng, 0.8);
    const spread = R * rng.range(0.04, 0.11);
    const spots = rng.int(EX_SPOTS_PER_CLUSTER[0], EX_SPOTS_PER_CLUSTER[1]);
    const st = new Stamp(x - spread * 2 - 4, y - spread * 2 - 4, x + spread * 2 + 4, y + spread * 2 + 4, s.w, s.h);
    for (let k = 0; k < spots; k++) {
      const r0 = Math.max(0.7, R * rng.range(0.005, 0.018));
      st.ellipse(
        x + rng.normal() * spread * 0.6,
        y + rng.normal() * spread * 0.6,
        r0 * rng.range(0.8, 1.3),
        r0 * rng.range(0.6, 1.0),
        rng.range(0, Math.PI),
        0.5,
      );
      counts.EX++;
    }
    applyStamp(s, st, { kind: 'lift', mul: [1.15, 1.75, 1.4], add: [0.08, 0.12, 0.02], strength: 0.9 }, pr, pg, pb, masks.EX);
  }
  return counts;
}

/** Things that are not DR lesions and are not in any mask: faint drusen and out-of-focus dust. */
function paintDistractors(s: Scene, rng: Rng, pr: Float32Array, pg: Float32Array, pb: Float32Array): void {
  const { R } = s;
  if (rng.chance(0.25)) {
    const n = rng.int(1, 5);
    for (let k = 0; k < n; k++) {
      const [x, y] = placePoint(s, rng, 0.6, undefined, R * 0.35);
      const r0 = Math.max(0.8, R * rng.range(0.008, 0.016));
      const st = new Stamp(x - r0 * 3, y - r0 * 3, x + r0 * 3, y + r0 * 3, s.w, s.h);
      st.ellipse(x, y, r0, r0, 0, r0 * 0.9, 0.8);
      applyStamp(s, st, { kind: 'lift', mul: [1.05, 1.3, 1.2], add: [0.04, 0.06, 0.02], strength: 0.6 }, pr, pg, pb, null);
    }
  }
  if (rng.chance(0.15)) {
    const [x, y] = placePoint(s, rng, 0.85);
    const r0 = R * rng.range(0.03, 0.06);
    const st = new Stamp(x - r0 * 2, y - r0 * 2, x + r0 * 2, y + r0 * 2, s.w, s.h);
    st.ellipse(x, y, r0, r0, 0, r0 * 0.8, 0.5);
    applyStamp(s, st, { kind: 'multiply', f: [0.8, 0.8, 0.8] }, pr, pg, pb, null);
  }
}

/** Per-channel histogram equalisation over the retina (the EyePACS-256 preprocessing); the black surround stays black. */
function equalise(pr: Float32Array, pg: Float32Array, pb: Float32Array, inside: Float32Array): void {
  const bins = 256;
  for (const p of [pr, pg, pb]) {
    let max = 1e-6;
    for (let i = 0; i < p.length; i++) if (inside[i]! >= 0.5 && p[i]! > max) max = p[i]!;
    const hist = new Float64Array(bins);
    let total = 0;
    const scale = (bins - 1) / max;
    for (let i = 0; i < p.length; i++) {
      if (inside[i]! < 0.5) continue;
      hist[Math.min(bins - 1, Math.floor(p[i]! * scale))]! += 1;
      total++;
    }
    if (total === 0) continue;
    const lut = new Float32Array(bins);
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      lut[b] = acc / total;
    }
    for (let i = 0; i < p.length; i++) {
      const a = inside[i]!;
      if (a <= 0) continue;
      const v = p[i]! * scale;
      const b0 = Math.min(bins - 1, Math.floor(v));
      const eq = lut[b0]!;
      // Keep the anti-aliased rim and weight by coverage so the edge stays smooth.
      p[i] = a >= 0.5 ? eq : eq * a;
    }
  }
}
