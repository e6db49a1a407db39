/**
 * Reading robustness results (robustness/<name>/result.json with its gallery/*.png) without tensors,
 * for the main process and the report. A gallery file sent by the renderer must be one the result
 * lists, and its resolved path must stay inside the result folder.
 */
import { promises as fsp } from 'node:fs';
import { AppError } from '../../../src-shared/errors';
import { RobustnessResult } from '../../../src-shared/robustness';
import { insideFolder, listResultFolders, readResultFolder } from '../../services/study-folder/result-folder';

/** Every robustness result of the study (unreadable ones skipped). */
export function listRobustness(studyPath: string): Promise<RobustnessResult[]> {
  return listResultFolders(studyPath, 'robustness', RobustnessResult);
}

/** The result and its folder (for the report's gallery). */
export function readRobustness(studyPath: string, name: string): Promise<{ folder: string; result: RobustnessResult }> {
  return readResultFolder(studyPath, 'robustness', name, RobustnessResult, 'robustness analysis');
}

/** One gallery PNG of robustness/<name>/ as a data URL; `file` must be listed in the result's gallery. */
export async function robustnessGallery(studyPath: string, name: string, file: string): Promise<{ dataUrl: string }> {
  const { folder, result } = await readRobustness(studyPath, name);
  if (!result.gallery?.files.some((f) => f.file === file)) {
    throw new AppError('NOT_FOUND', `"${file}" is not a gallery image of the robustness analysis "${name}".`, [
      { path: 'file', message: 'not in the gallery' },
    ]);
  }
  const target = insideFolder(folder, file, 'file');
  let data: Buffer;
  try {
    data = await fsp.readFile(target);
  } catch {
    throw new AppError('STUDY_CORRUPT', `The gallery image ${target} listed by robustness analysis "${name}" is missing or unreadable.`);
  }
  if (data.length < 8 || data.readUInt32BE(0) !== 0x89504e47)
    throw new AppError('STUDY_CORRUPT', `The gallery image ${target} is not a PNG file.`);
  return { dataUrl: `data:image/png;base64,${data.toString('base64')}` };
}
