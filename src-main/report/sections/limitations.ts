/** Section 7: what the numbers of this study can and cannot say, and exactly which external weights the IFI runs started from. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { TrainingStrategy } from '../../../src-shared/training';
import type { ReportContext } from '../context';

/** The IFI strategies and the weights each starts from, as the Limitations name them. */
const IFI_WEIGHTS: readonly { strategy: TrainingStrategy; what: string }[] = [
  { strategy: 'IFI-FS', what: 'supervised ImageNet weights' },
  { strategy: 'IFI-CL', what: 'MoCo v2 ImageNet checkpoint' },
];

/** How the Limitations call a demo stand-in (never said of real weights). */
export const STANDIN_LABEL = 'demo stand-in (synthetic textures, not ImageNet)';

/** sha256 of a file's bytes, read as a stream (weight files are large). */
async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The `__metadata__` of a .safetensors file, read from its header only; empty for other formats or unreadable headers. */
async function safetensorsMetadata(file: string): Promise<Record<string, string>> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if ((await fh.read(head, 0, 8, 0)).bytesRead < 8) return {};
    const n = Number(head.readBigUInt64LE(0));
    if (n < 2 || n > 100_000_000) return {};
    const json = Buffer.alloc(n);
    await fh.read(json, 0, n, 8);
    if (json[0] !== 0x7b) return {};
    const header = JSON.parse(json.toString('utf8')) as { __metadata__?: Record<string, string> };
    return header.__metadata__ ?? {};
  } catch {
    return {};
  } finally {
    await fh.close();
  }
}

/**
 * Whether a weights file is a FundusLab demo stand-in: its safetensors metadata says so (`standin`), or it carries the stand-in
 * file name the demo gives it (stand-ins written before the metadata was added to the MoCo one).
 */
async function isStandin(file: string): Promise<boolean> {
  if ((await safetensorsMetadata(file)).standin) return true;
  return /^(imagenet|moco)-standin\.safetensors$/.test(path.basename(file));
}

/**
 * One line per IFI strategy: the weight file name and its SHA-256 when the strategy's runs started from real weights, labelled as
 * a demo stand-in only when they started from one, "not run: no weights" when the strategy has no runs for want of weights.
 */
export async function ifiWeightsLines(r: Pick<ReportContext, 'study' | 'runs' | 'grid'>): Promise<string[]> {
  const lines: string[] = [];
  for (const { strategy, what } of IFI_WEIGHTS) {
    const runs = r.runs.filter((x) => x.spec.strategy === strategy);
    const head = `${strategy} (${what}):`;
    if (runs.length === 0) {
      const inGrid = r.grid?.strategies.includes(strategy) ?? false;
      const configured = strategy === 'IFI-FS' ? r.grid?.imagenetWeights : r.grid?.mocoWeights;
      if (!inGrid) lines.push(`${head} not part of this study's grid.`);
      else if (configured && existsSync(path.resolve(r.study, configured)))
        lines.push(`${head} not run: no finished run (weights ${path.basename(configured)} were chosen).`);
      else lines.push(`${head} not run: no weights.`);
      continue;
    }
    const files = [...new Set(runs.map((x) => x.spec.pretrainedWeights).filter((f): f is string => !!f))];
    const described: string[] = [];
    for (const f of files) {
      const file = path.resolve(r.study, f);
      if (!existsSync(file)) {
        described.push(`${path.basename(file)} (the file is no longer at ${file}; SHA-256 unknown)`);
        continue;
      }
      const sha = await fileSha256(file);
      described.push(`${(await isStandin(file)) ? `${STANDIN_LABEL}: ` : ''}${path.basename(file)}, SHA-256 ${sha}`);
    }
    lines.push(`${head} ${described.length > 0 ? described.join('; ') : 'no weights file recorded in its runs'}.`);
  }
  return lines;
}

export async function limitationsSection(r: ReportContext): Promise<void> {
  r.ctx.progress(8, 10, 'Limitations and appendix');
  r.section('7 Limitations');
  const weights = await ifiWeightsLines(r);
  const standin = weights.some((l) => l.includes(STANDIN_LABEL));
  const limitations = [
    ...(r.synthetic
      ? [
          'The images are synthetic (FundusLab demo data): the numbers show that the pipeline works, not how the strategies compare on real fundus photographs.',
        ]
      : []),
    ...(standin
      ? [
          'The IFI runs marked "demo stand-in" below started from weights derived from a synthetic texture set, not ImageNet: they show that the IFI pipeline works, not what ImageNet pretraining brings.',
        ]
      : []),
    ...weights,
    `Seeds: ${[...new Set(r.runs.map((x) => x.spec.seed))].length || 0} per cell. With one seed, the bands show sampling uncertainty of the test set (DeLong), not the variation between training runs.`,
    'Validation and test: the best epoch is chosen by validation AUC on a fixed patient-level split of the training data; test sets must not share patients with training (the table marks overlaps with *).',
    'Referable DR is defined by the chosen grade set; AUCs for {3,4} (the paper) and {2,3,4} (clinical practice) are not comparable.',
    "Reduced models, input sizes or epochs (if used here, see Methods) differ from the paper's ResNet50 at 224 px trained 500 / 50 epochs.",
    'MoCo v2 pretraining runs on a single device without shuffle-BN.',
  ];
  r.writer.bullets(limitations);
}
