import { ResNet } from '../models/resnet';
import { parseArch } from '../models/resnet-spec';
import { importWeights, type ImportOptions, type ImportReport } from './import';
import { readWeightFile } from './read';

/** Reads a weights file and imports it into a new ResNet of the given architecture. */
export async function loadResNet(
  file: string,
  arch: string,
  classes?: number,
  opts: ImportOptions = {},
): Promise<{ model: ResNet; report: ImportReport }> {
  const weights = await readWeightFile(file);
  const model = ResNet.create(parseArch(arch, classes));
  try {
    return { model, report: importWeights(model, weights, opts) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
