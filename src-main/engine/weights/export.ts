/**
 * Exports a ResNet's parameters and BatchNorm buffers under their torchvision names:
 * - `.safetensors` in the torch layout (conv OIHW, linear [out, in]; num_batches_tracked as I64),
 *   loadable with `model.load_state_dict(safetensors.torch.load_file(path))` in PyTorch;
 * - FundusLab's tfjs format (model.json + weights.bin, tfjs layout; see tfjs-format.ts).
 */
import tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../fs/atomic';
import type { ResNet } from '../models/resnet';
import { archName } from '../models/resnet-spec';
import { writeSafetensors } from './safetensors';
import { fromFloat32, fromInt64, type RawTensor, type TensorLayout } from './tensors';
import { writeTfjsWeights } from './tfjs-format';

/** All state_dict entries of the model, in torchvision order, in the given layout (read back asynchronously). */
export async function modelTensors(model: ResNet, layout: TensorLayout): Promise<Map<string, RawTensor>> {
  const out = new Map<string, RawTensor>();
  for (const spec of model.specs) {
    if (spec.role === 'bn.num_batches_tracked') {
      out.set(spec.name, fromInt64([model.batchesTracked.get(spec.module) ?? 0], []));
      continue;
    }
    const variable = model.variable(spec.name);
    const transposed =
      layout !== 'torch'
        ? null
        : spec.role === 'conv.weight'
          ? tf.transpose(variable, [3, 2, 0, 1])
          : spec.role === 'fc.weight'
            ? tf.transpose(variable, [1, 0])
            : null;
    try {
      const values = (await (transposed ?? variable).data()) as Float32Array; // fromFloat32 copies
      out.set(spec.name, fromFloat32(values, layout === 'torch' ? spec.torchShape : spec.tfjsShape));
    } finally {
      transposed?.dispose();
    }
  }
  return out;
}

export async function exportSafetensors(model: ResNet, file: string): Promise<void> {
  const metadata = { format: 'pt', producer: 'funduslab', arch: archName(model.config), classes: String(model.config.classes) };
  await writeFileAtomic(file, writeSafetensors(await modelTensors(model, 'torch'), metadata));
}

export async function exportTfjs(model: ResNet, dir: string): Promise<{ modelJson: string; weightsBin: string }> {
  return writeTfjsWeights(dir, await modelTensors(model, 'tfjs'), { arch: archName(model.config), classes: model.config.classes });
}
