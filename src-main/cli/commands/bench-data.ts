/**
 * `funduslab bench data [--json] [--data <dir>] [--limit N] [--rounds N] [--concurrency N]` —
 * preprocessing throughput (images/s) on the shared test data: the 256-px EyePACS images and the
 * 4288x2848 IDRiD originals with their five masks. Each figure is a cold import into a fresh
 * temporary study (full decode, crop, input and overlay renders, encodes, cache writes).
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../../src-shared/errors';
import { defaultConcurrency, importDataset } from '../../services/datasets/import/import-service';
import { parseCsv } from '../../services/datasets/csv';
import { StudyService } from '../../services/study-folder/study-service';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';
import { sharedDataDir } from '../../paths';

export interface BenchFigure {
  dataset: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  imageSize: string;
  masks: number;
}

export interface BenchDataReport {
  cpus: number;
  concurrency: number;
  sharpConcurrency: number;
  libvips: string;
  figures: BenchFigure[];
}

async function freshStudy(): Promise<{ study: string; cleanup: () => Promise<void> }> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'funduslab-bench-'));
  const study = path.join(base, 'study');
  await new StudyService({ appVersion: APP_VERSION }).create(study, 'bench');
  return { study, cleanup: () => fsp.rm(base, { recursive: true, force: true }) };
}

export async function runBenchData(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    data: { type: 'string' },
    limit: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'data')) {
    throw new AppError('BAD_REQUEST', `Unknown benchmark ${positionals.join(' ')}; only "bench data" exists.`);
  }
  const dataDir = values.data ? path.resolve(values.data) : sharedDataDir();
  const concurrency = values.concurrency ? Number(values.concurrency) : defaultConcurrency();
  const limit = values.limit ? Number(values.limit) : Infinity;
  const rounds = values.rounds ? Number(values.rounds) : 3;
  const eyepacs = path.join(dataDir, 'eyepacs-256');
  const fullres = path.join(dataDir, 'idrid-seg-fullres');
  for (const d of [eyepacs, fullres]) {
    if (!(await fsp.stat(d).catch(() => null)))
      throw new AppError('NOT_FOUND', `Benchmark data ${d} not found (use --data or FUNDUSLAB_DATA).`);
  }
  const figures: BenchFigure[] = [];
  const progress = stderrProgress('bench', !values.json);
  const ctx = { progress: progress.update, log: () => {}, signal: new AbortController().signal };

  // EyePACS 256 px: all labelled images, or the first --limit copied into a Kaggle-shaped folder
  // (an import reads no link that leaves its folder).
  {
    let source = eyepacs;
    let tmpSource: string | null = null;
    if (Number.isFinite(limit)) {
      tmpSource = await fsp.mkdtemp(path.join(os.tmpdir(), 'funduslab-bench-src-'));
      const rows = parseCsv(await fsp.readFile(path.join(eyepacs, 'trainLabels.csv'), 'utf8')).rows.slice(0, limit);
      await fsp.mkdir(path.join(tmpSource, 'train'));
      for (const r of rows)
        await fsp.copyFile(path.join(eyepacs, 'train', `${r.cells[0]}.jpeg`), path.join(tmpSource, 'train', `${r.cells[0]}.jpeg`));
      await fsp.writeFile(path.join(tmpSource, 'trainLabels.csv'), 'image,level\n' + rows.map((r) => r.cells.join(',')).join('\n') + '\n');
      source = tmpSource;
    }
    const { study, cleanup } = await freshStudy();
    try {
      const t0 = performance.now();
      const r = await importDataset({ type: 'eyepacs', path: source, id: 'bench', concurrency }, study, ctx);
      const seconds = (performance.now() - t0) / 1000;
      figures.push({
        dataset: 'eyepacs-256',
        images: r.processed,
        seconds,
        imagesPerSecond: r.processed / seconds,
        imageSize: '256x256',
        masks: 0,
      });
    } finally {
      await cleanup();
      if (tmpSource) await fsp.rm(tmpSource, { recursive: true, force: true });
    }
  }
  // IDRiD originals: 2 images x `rounds` cold imports (the first includes libvips warm-up).
  {
    let images = 0;
    let masks = 0;
    let seconds = 0;
    for (let i = 0; i < rounds; i++) {
      const { study, cleanup } = await freshStudy();
      try {
        const t0 = performance.now();
        const r = await importDataset({ type: 'idrid-seg', path: fullres, id: 'bench', concurrency }, study, ctx);
        seconds += (performance.now() - t0) / 1000;
        images += r.processed;
        masks += r.masksProcessed;
      } finally {
        await cleanup();
      }
    }
    figures.push({ dataset: 'idrid-seg-fullres', images, seconds, imagesPerSecond: images / seconds, imageSize: '4288x2848', masks });
  }
  progress.end();
  const report: BenchDataReport = {
    cpus: os.availableParallelism(),
    concurrency,
    sharpConcurrency: sharp.concurrency(),
    libvips: sharp.versions.vips ?? 'unknown',
    figures,
  };
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
  else {
    const lines = [
      `Preprocessing throughput (${report.cpus} CPUs, ${concurrency} images at a time, libvips ${report.libvips} with ${report.sharpConcurrency} thread(s) per image):`,
    ];
    for (const f of figures) {
      lines.push(
        `  ${f.dataset.padEnd(18)} ${f.imageSize.padEnd(10)} ${f.imagesPerSecond.toFixed(2).padStart(7)} images/s  (${f.images} images${f.masks ? ` + ${f.masks} masks` : ''} in ${f.seconds.toFixed(1)} s)`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}
