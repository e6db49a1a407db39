/**
 * The study's analyses, runs and reports as the app and the report read them — pure file reading
 * (no tfjs), so the main process serves them directly:
 *
 * - `spectra/<name>/result.json` (SpectraResult), `robustness/<name>/result.json` (RobustnessResult,
 *   with its `gallery/*.png`), `explanations/<name>/result.json` (ExplanationResult, with one float32
 *   little-endian [H, W] heatmap per image, src-shared/explanations.ts);
 * - a summary of every run folder (src-main/services/runs/run-info.ts);
 * - the PDF reports under `reports/` (written by the report.build job, default
 *   `reports/report-<time>.pdf`, figures and tables in `<name>-assets/`).
 *
 * Names and files sent by the renderer are never joined into paths unchecked: an analysis name is a
 * folder name (AnalysisName), a gallery file must be one the result lists, an image id one of the
 * result's images, and every resolved path must stay inside its folder.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import type { z } from 'zod';
import { AnalysisName, ReportFileName, type HeatmapAnswer, type ReportFileInfo, type RunSummary } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { ExplanationResult, type ExplainLesion } from '../../../src-shared/explanations';
import { RobustnessResult } from '../../../src-shared/robustness';
import { SpectraResult } from '../../../src-shared/spectra';
import { readDatasetManifest } from '../datasets/manifest-file';
import { listRuns } from '../runs/run-info';

export const SPECTRA_DIR = 'spectra';
export const ROBUSTNESS_DIR = 'robustness';
export const EXPLANATIONS_DIR = 'explanations';
export const REPORTS_DIR = 'reports';
export const RESULT_FILE = 'result.json';

/** Every `<dir>/<name>/result.json` of the study that parses with `schema`, by folder name; hidden (temporary) folders, unreadable and invalid files are skipped. */
async function listResults<S extends z.ZodType>(studyPath: string, dir: string, schema: S): Promise<z.output<S>[]> {
  const root = path.join(path.resolve(studyPath), dir);
  if (!existsSync(root)) return [];
  const out: z.output<S>[] = [];
  for (const name of (await fsp.readdir(root)).sort()) {
    if (name.startsWith('.')) continue;
    const file = path.join(root, name, RESULT_FILE);
    if (!existsSync(file)) continue;
    let json: unknown;
    try {
      json = JSON.parse(await fsp.readFile(file, 'utf8'));
    } catch {
      continue;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Every spectra/<name>/result.json of the study (unreadable ones skipped). */
export function listSpectra(studyPath: string): Promise<SpectraResult[]> {
  return listResults(studyPath, SPECTRA_DIR, SpectraResult);
}

/** Every robustness/<name>/result.json of the study (hidden temporary folders and unreadable ones skipped). */
export function listRobustness(studyPath: string): Promise<RobustnessResult[]> {
  return listResults(studyPath, ROBUSTNESS_DIR, RobustnessResult);
}

/** Every explanations/<name>/result.json of the study (unreadable ones skipped). */
export function listExplanations(studyPath: string): Promise<ExplanationResult[]> {
  return listResults(studyPath, EXPLANATIONS_DIR, ExplanationResult);
}

/** `file` resolved inside `dir`, or a BAD_REQUEST naming `field` when it would leave it. */
function inside(dir: string, file: string, field: string): string {
  const resolved = path.resolve(dir, file);
  const rel = path.relative(dir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new AppError('BAD_REQUEST', `"${file}" is not a file inside ${dir}.`, [{ path: field, message: 'outside the folder' }]);
  return resolved;
}

/** `<dir>/<name>/result.json` by folder name, checked (AnalysisName) before any file is read. */
async function readResult<S extends z.ZodType>(studyPath: string, dir: string, name: string, schema: S, what: string): Promise<{ folder: string; result: z.output<S> }> {
  if (!AnalysisName.safeParse(name).success) throw new AppError('BAD_REQUEST', `Invalid ${what} name "${name}": expected a folder name under ${dir}/.`, [{ path: 'name', message: 'invalid' }]);
  const folder = path.join(path.resolve(studyPath), dir, name);
  const file = path.join(folder, RESULT_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `No ${what} "${name}" in the study (${file} is missing).`, [{ path: 'name', message: `no such ${what}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AppError('STUDY_CORRUPT', `${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('STUDY_CORRUPT', `${file} is not a valid ${what} result: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return { folder, result: parsed.data };
}

/** One gallery PNG of robustness/<name>/ as a data URL; `file` must be listed in the result's gallery. */
export async function robustnessGallery(studyPath: string, name: string, file: string): Promise<{ dataUrl: string }> {
  const { folder, result } = await readResult(studyPath, ROBUSTNESS_DIR, name, RobustnessResult, 'robustness analysis');
  if (!result.gallery?.files.some((f) => f.file === file)) {
    throw new AppError('NOT_FOUND', `"${file}" is not a gallery image of the robustness analysis "${name}".`, [{ path: 'file', message: 'not in the gallery' }]);
  }
  const target = inside(folder, file, 'file');
  let data: Buffer;
  try {
    data = await fsp.readFile(target);
  } catch {
    throw new AppError('STUDY_CORRUPT', `The gallery image ${target} listed by robustness analysis "${name}" is missing or unreadable.`);
  }
  if (data.length < 8 || data.readUInt32BE(0) !== 0x89504e47) throw new AppError('STUDY_CORRUPT', `The gallery image ${target} is not a PNG file.`);
  return { dataUrl: `data:image/png;base64,${data.toString('base64')}` };
}

/**
 * One image's heatmap of explanations/<name>/ ([H, W] float32 LE, the result's `heatmap.shape`) and,
 * with `withMasks`, the image's cached lesion masks of the scored lesions at the heatmap size (1 where
 * the cached mask is > 0, as the explain service scores them; resized by nearest neighbour if the
 * cache differs in size).
 */
export async function explanationHeatmap(studyPath: string, name: string, imageId: string, withMasks = false): Promise<HeatmapAnswer> {
  const { folder, result } = await readResult(studyPath, EXPLANATIONS_DIR, name, ExplanationResult, 'explanation');
  const image = result.images.find((im) => im.id === imageId);
  if (!image) throw new AppError('NOT_FOUND', `Image "${imageId}" is not among the images of the explanation "${name}".`, [{ path: 'imageId', message: 'not an explained image' }]);
  const [height, width] = result.heatmap.shape;
  const file = inside(folder, image.heatmap, 'imageId');
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch {
    throw new AppError('STUDY_CORRUPT', `The heatmap ${file} of image "${imageId}" is missing or unreadable.`);
  }
  if (buf.length !== width * height * 4) throw new AppError('STUDY_CORRUPT', `The heatmap ${file} has ${buf.length} bytes; a float32 [${height}, ${width}] heatmap has ${width * height * 4}.`);
  const values = new Array<number>(width * height);
  for (let i = 0; i < values.length; i++) {
    const v = buf.readFloatLE(i * 4);
    if (!Number.isFinite(v)) throw new AppError('STUDY_CORRUPT', `The heatmap ${file} holds a non-finite value at pixel ${i}.`);
    values[i] = v;
  }
  const masks: Partial<Record<ExplainLesion, number[]>> = {};
  if (withMasks) {
    const { datasetDir, manifest } = await readDatasetManifest(path.resolve(studyPath), result.dataset.datasetId);
    const item = manifest.items.find((it) => it.id === imageId);
    for (const lesion of result.request.lesions) {
      const cached = item?.masks?.[lesion]?.cache?.input;
      if (!cached) continue;
      const maskFile = inside(datasetDir, cached, 'imageId');
      let raw: { data: Buffer; info: OutputInfo };
      try {
        raw = await sharp(maskFile).extractChannel(0).resize(width, height, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer({ resolveWithObject: true });
      } catch (e) {
        throw new AppError('STUDY_CORRUPT', `The cached ${lesion} mask of "${imageId}" (${maskFile}) cannot be read: ${(e as Error).message}`);
      }
      masks[lesion] = Array.from({ length: width * height }, (_, p) => (raw.data[p * raw.info.channels]! > 0 ? 1 : 0));
    }
  }
  return { width, height, values, masks };
}

/** Every run folder with a readable spec, summarised for the analysis pages (sorted by id). */
export async function runSummaries(studyPath: string): Promise<RunSummary[]> {
  return (await listRuns(studyPath)).map((r) => ({
    runId: r.runId,
    strategy: r.spec.strategy,
    fraction: r.spec.fraction,
    seed: r.spec.seed,
    arch: r.spec.arch,
    inputSize: r.spec.inputSize,
    datasetId: r.spec.datasetId ?? null,
    finished: r.result !== null,
    hasModel: r.best !== null,
    bestValAuc: r.result?.bestValAuc ?? r.best?.valAuc ?? null,
  }));
}

/** The PDF files directly under <study>/reports/, newest first (then by name). */
export async function listReports(studyPath: string): Promise<ReportFileInfo[]> {
  const dir = path.join(path.resolve(studyPath), REPORTS_DIR);
  if (!existsSync(dir)) return [];
  const out: ReportFileInfo[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !ReportFileName.safeParse(entry.name).success) continue;
    const file = path.join(dir, entry.name);
    const stat = await fsp.stat(file);
    const assets = file.replace(/\.pdf$/i, '-assets');
    out.push({ file: entry.name, path: file, bytes: stat.size, modified: stat.mtime.toISOString(), assetsDir: existsSync(assets) ? assets : null });
  }
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.file.localeCompare(b.file));
}

/** reports/<file> as a data URL, for a browser download; the name is a plain .pdf file name of that folder. */
export async function reportFile(studyPath: string, file: string): Promise<{ dataUrl: string; fileName: string }> {
  if (!ReportFileName.safeParse(file).success) throw new AppError('BAD_REQUEST', `Invalid report file name "${file}": expected a .pdf file name inside reports/.`, [{ path: 'file', message: 'invalid' }]);
  const dir = path.join(path.resolve(studyPath), REPORTS_DIR);
  const target = inside(dir, file, 'file');
  let data: Buffer;
  try {
    data = await fsp.readFile(target);
  } catch {
    throw new AppError('NOT_FOUND', `There is no report "${file}" in ${dir}.`, [{ path: 'file', message: 'no such report' }]);
  }
  if (data.subarray(0, 5).toString('latin1') !== '%PDF-') throw new AppError('STUDY_CORRUPT', `${target} is not a PDF file.`);
  return { dataUrl: `data:application/pdf;base64,${data.toString('base64')}`, fileName: file };
}

/**
 * What `shell.openPath` may open: an existing PDF file or an existing folder (a report and its
 * assets). Anything else — executables, scripts, documents with macros — is refused, so a renderer
 * can never make the operating system run a program.
 */
export async function checkOpenablePath(target: string): Promise<string> {
  const resolved = path.resolve(target);
  let stat;
  try {
    stat = await fsp.stat(resolved);
  } catch {
    throw new AppError('NOT_FOUND', `${resolved} does not exist.`, [{ path: 'path', message: 'no such file or folder' }]);
  }
  if (stat.isDirectory()) return resolved;
  if (stat.isFile() && /\.pdf$/i.test(resolved)) return resolved;
  throw new AppError('BAD_REQUEST', `FundusLab only opens PDF reports and folders with the operating system; ${resolved} is neither.`, [{ path: 'path', message: 'not a PDF file or a folder' }]);
}
