/** Reading spectra results (spectra/<run>__<dataset>/result.json) without tensors, for the main process and the report. */
import { SpectraResult } from '../../../src-shared/spectra';
import { listResultFolders } from '../../services/study-folder/result-folder';

/** Every spectra result of the study (unreadable ones skipped). */
export function listSpectra(studyPath: string): Promise<SpectraResult[]> {
  return listResultFolders(studyPath, 'spectra', SpectraResult);
}
