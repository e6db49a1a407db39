/**
 * The weights fields' helpers (pure): where the file browser of browser mode starts and how it shows a
 * listing, which published files work, and the demo stand-ins — how they are requested for the
 * grid's architecture, recognised, and labelled, so a stand-in is never taken for ImageNet weights.
 */
import type { FileEntry, FilesListing } from '../../../src-shared/files';
import type { JobState } from '../../../src-shared/jobs';
import type { StandinRequest, StandinResult } from '../../../src-shared/weights';
import type { WeightsSlot } from './models.viewmodel';

/** Which published files the IFI strategies accept, and that FundusLab never downloads them itself. */
export const PUBLISHED_WEIGHTS = {
  fs: 'torchvision ResNet50 ImageNet weights, e.g. resnet50-0676ba61.pth (IMAGENET1K_V1) or resnet50-11ad3fa6.pth (IMAGENET1K_V2)',
  cl: 'the MoCo v2 800-epoch ImageNet checkpoint, moco_v2_800ep_pretrain.pth.tar',
  download:
    'FundusLab itself never downloads anything: fetch these files yourself from their publishers (torchvision, facebookresearch/moco) and choose them here.',
} as const;

/** How a stand-in is labelled wherever it appears (the report says the same). */
export const STANDIN_LABEL = 'Demo stand-in (synthetic textures, not ImageNet)';

/** The file names the demo gives its stand-ins (the files also say so in their metadata, which the report reads). */
export function isStandinPath(file: string): boolean {
  return /(^|[\\/])(imagenet|moco)-standin\.safetensors$/.test(file.trim());
}

const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/** The folder part of an absolute path ('/' for a file at the root); null for anything else. */
export function parentFolder(p: string): string | null {
  const t = p.trim();
  if (!isAbsolute(t)) return null;
  const i = Math.max(t.lastIndexOf('/'), t.lastIndexOf('\\'));
  if (i <= 0) return t.slice(0, 1) === '/' ? '/' : null;
  const dir = t.slice(0, i);
  return /^[A-Za-z]:$/.test(dir) ? `${dir}\\` : dir;
}

/** Where the file browser opens: the chosen file's folder, else the open study's folder, else the app's data folder. */
export function browserStart(currentPath: string, studyPath: string | null, dataDir: string): string {
  return parentFolder(currentPath) ?? (studyPath && isAbsolute(studyPath) ? studyPath : dataDir);
}

/** `dir` joined with one entry name, with the separator the folder uses. */
export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** `1.2 MB`, `97.8 MB`, `512 B`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export interface BrowserRow {
  name: string;
  kind: FileEntry['kind'];
  /** The entry's absolute path. */
  path: string;
  /** `folder`, or the file's size. */
  detail: string;
}

/** A listing as the browser's rows: folders (opened on click), then weights files (chosen on click), as files.list orders them. */
export function browserRows(listing: FilesListing): BrowserRow[] {
  return listing.entries.map((e) => ({
    name: e.name,
    kind: e.kind,
    path: joinPath(listing.path, e.name),
    detail: e.kind === 'dir' ? 'folder' : e.size === null ? '' : formatBytes(e.size),
  }));
}

/** The stand-in job's request for the grid's architecture and input size (the stand-ins must load into its runs). */
export function standinRequest(form: { arch: string; inputSize: string }): StandinRequest | null {
  const arch = form.arch.trim();
  const inputSize = Number(form.inputSize);
  if (!arch || !Number.isInteger(inputSize) || inputSize < 16 || inputSize > 1024) return null;
  return { arch, inputSize, scale: 'demo' };
}

/** The latest stand-in job of this study for this request (whoever started it: it survives leaving the step), or null. */
export function standinJobFor(jobs: readonly JobState[], studyPath: string, request: StandinRequest | null): JobState | null {
  if (!request) return null;
  let best: JobState | null = null;
  for (const j of jobs) {
    if (j.kind !== 'weights.standin' || j.studyPath !== studyPath) continue;
    const p = j.params as Partial<StandinRequest> | null;
    if (p?.arch !== request.arch || p.inputSize !== request.inputSize || (p.scale ?? 'demo') !== request.scale) continue;
    if (!best || j.createdAt > best.createdAt || (j.createdAt === best.createdAt && j.id > best.id)) best = j;
  }
  return best;
}

/** The paths a finished stand-in job fills in, by slot; null until it succeeded. */
export function standinPaths(job: JobState | null): Record<WeightsSlot, string> | null {
  if (!job || job.status !== 'succeeded' || !job.result) return null;
  const r = job.result as Partial<StandinResult>;
  return typeof r.imagenetWeights === 'string' && typeof r.mocoWeights === 'string' ? { fs: r.imagenetWeights, cl: r.mocoWeights } : null;
}
