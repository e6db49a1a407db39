/**
 * ResNet architectures as data, exactly as torchvision builds them (v1.5: the stride sits in the
 * 3x3 conv of the bottleneck; downsample = conv1x1 + BN when the stride or width changes), with the
 * torchvision state_dict name and shape of every parameter. Pure: no tfjs, so weight inspection and
 * import planning can use it without a backend.
 *
 * Reduced-width variants (`resnet50-w16`) keep the structure and change only the base width: stem
 * and layer1..4 planes are W, 2W, 4W, 8W instead of 64, 128, 256, 512 (W = 64 is torchvision).
 */
import { AppError } from '../../../src-shared/errors';

export type BlockType = 'basic' | 'bottleneck';

export const RESNET_DEPTHS = {
  18: { block: 'basic', blocks: [2, 2, 2, 2] },
  34: { block: 'basic', blocks: [3, 4, 6, 3] },
  50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
  101: { block: 'bottleneck', blocks: [3, 4, 23, 3] },
  152: { block: 'bottleneck', blocks: [3, 8, 36, 3] },
} as const satisfies Record<number, { block: BlockType; blocks: readonly number[] }>;
export type ResNetDepth = keyof typeof RESNET_DEPTHS;

export const DEFAULT_CLASSES = 5;
export const TORCHVISION_WIDTH = 64;
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface ResNetConfig {
  depth: ResNetDepth;
  /** Base width: 64 for torchvision's models; smaller for CPU demos and test fixtures. */
  width: number;
  classes: number;
}

export interface ConvSpec {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** Symmetric zero padding, as PyTorch's Conv2d(padding=…). */
  pad: number;
}

export interface BnSpec {
  name: string;
  channels: number;
}

export interface BlockSpec {
  /** e.g. `layer2.0`. */
  name: string;
  type: BlockType;
  convs: { conv: ConvSpec; bn: BnSpec }[];
  downsample: { conv: ConvSpec; bn: BnSpec } | null;
}

export interface ResNetLayout {
  config: ResNetConfig;
  stem: { conv: ConvSpec; bn: BnSpec };
  stages: { name: string; blocks: BlockSpec[] }[];
  fc: { name: 'fc'; inFeatures: number; outFeatures: number };
}

export type ParamRole =
  'conv.weight' | 'bn.weight' | 'bn.bias' | 'bn.running_mean' | 'bn.running_var' | 'bn.num_batches_tracked' | 'fc.weight' | 'fc.bias';

export interface ParamSpec {
  /** torchvision state_dict key. */
  name: string;
  /** The module it belongs to (`layer1.0.bn1`). */
  module: string;
  role: ParamRole;
  /** Shape in the state dict (conv OIHW, linear [out, in]). */
  torchShape: number[];
  /** Shape in FundusLab's tfjs model (conv HWIO, dense [in, out]). */
  tfjsShape: number[];
  /** Updated by the optimizer (false for running statistics and num_batches_tracked). */
  trainable: boolean;
}

export const ARCH_PATTERN = /^resnet(18|34|50|101|152)(?:-w(\d+))?$/;

/** `resnet50` → torchvision ResNet50; `resnet50-w16` → the same structure at base width 16. */
export function parseArch(arch: string, classes: number = DEFAULT_CLASSES): ResNetConfig {
  const m = ARCH_PATTERN.exec(arch.trim().toLowerCase());
  if (!m)
    throw new AppError(
      'BAD_REQUEST',
      `Unknown architecture "${arch}"; expected resnet18|resnet34|resnet50|resnet101|resnet152, optionally with -w<width> (e.g. resnet50-w16)`,
    );
  const width = m[2] ? Number(m[2]) : TORCHVISION_WIDTH;
  if (!Number.isInteger(width) || width < 1 || width > 1024)
    throw new AppError('BAD_REQUEST', `Architecture "${arch}": width must be 1..1024`);
  if (!Number.isInteger(classes) || classes < 1)
    throw new AppError('BAD_REQUEST', `Number of classes must be a positive integer (got ${classes})`);
  return { depth: Number(m[1]) as ResNetDepth, width, classes };
}

export function archName(cfg: Pick<ResNetConfig, 'depth' | 'width'>): string {
  return cfg.width === TORCHVISION_WIDTH ? `resnet${cfg.depth}` : `resnet${cfg.depth}-w${cfg.width}`;
}

export function resnetLayout(config: ResNetConfig): ResNetLayout {
  const { block, blocks } = RESNET_DEPTHS[config.depth];
  const expansion = block === 'bottleneck' ? 4 : 1;
  const w = config.width;
  const conv = (name: string, inChannels: number, outChannels: number, kernel: number, stride: number): ConvSpec => ({
    name,
    inChannels,
    outChannels,
    kernel,
    stride,
    pad: (kernel - 1) / 2,
  });
  const stem = { conv: conv('conv1', 3, w, 7, 2), bn: { name: 'bn1', channels: w } };
  stem.conv.pad = 3;
  let inplanes = w;
  const stages = blocks.map((count, s) => {
    const planes = w * 2 ** s;
    const stageName = `layer${s + 1}`;
    const list: BlockSpec[] = [];
    for (let b = 0; b < count; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const name = `${stageName}.${b}`;
      const out = planes * expansion;
      const convs =
        block === 'bottleneck'
          ? [
              { conv: conv(`${name}.conv1`, inplanes, planes, 1, 1), bn: { name: `${name}.bn1`, channels: planes } },
              { conv: conv(`${name}.conv2`, planes, planes, 3, stride), bn: { name: `${name}.bn2`, channels: planes } },
              { conv: conv(`${name}.conv3`, planes, out, 1, 1), bn: { name: `${name}.bn3`, channels: out } },
            ]
          : [
              { conv: conv(`${name}.conv1`, inplanes, planes, 3, stride), bn: { name: `${name}.bn1`, channels: planes } },
              { conv: conv(`${name}.conv2`, planes, planes, 3, 1), bn: { name: `${name}.bn2`, channels: planes } },
            ];
      const downsample =
        stride !== 1 || inplanes !== out
          ? { conv: conv(`${name}.downsample.0`, inplanes, out, 1, stride), bn: { name: `${name}.downsample.1`, channels: out } }
          : null;
      list.push({ name, type: block, convs, downsample });
      inplanes = out;
    }
    return { name: stageName, blocks: list };
  });
  return { config, stem, stages, fc: { name: 'fc', inFeatures: inplanes, outFeatures: config.classes } };
}

/** Every parameter and buffer, in torchvision's state_dict order. */
export function resnetParamSpecs(config: ResNetConfig): ParamSpec[] {
  const layout = resnetLayout(config);
  const specs: ParamSpec[] = [];
  const addConv = (c: ConvSpec) =>
    specs.push({
      name: `${c.name}.weight`,
      module: c.name,
      role: 'conv.weight',
      torchShape: [c.outChannels, c.inChannels, c.kernel, c.kernel],
      tfjsShape: [c.kernel, c.kernel, c.inChannels, c.outChannels],
      trainable: true,
    });
  const addBn = (b: BnSpec) => {
    for (const [suffix, trainable] of [
      ['weight', true],
      ['bias', true],
      ['running_mean', false],
      ['running_var', false],
    ] as const) {
      specs.push({
        name: `${b.name}.${suffix}`,
        module: b.name,
        role: `bn.${suffix}`,
        torchShape: [b.channels],
        tfjsShape: [b.channels],
        trainable,
      });
    }
    specs.push({
      name: `${b.name}.num_batches_tracked`,
      module: b.name,
      role: 'bn.num_batches_tracked',
      torchShape: [],
      tfjsShape: [],
      trainable: false,
    });
  };
  addConv(layout.stem.conv);
  addBn(layout.stem.bn);
  for (const stage of layout.stages) {
    for (const block of stage.blocks) {
      for (const { conv, bn } of block.convs) {
        addConv(conv);
        addBn(bn);
      }
      if (block.downsample) {
        addConv(block.downsample.conv);
        addBn(block.downsample.bn);
      }
    }
  }
  const { inFeatures, outFeatures } = layout.fc;
  specs.push({
    name: 'fc.weight',
    module: 'fc',
    role: 'fc.weight',
    torchShape: [outFeatures, inFeatures],
    tfjsShape: [inFeatures, outFeatures],
    trainable: true,
  });
  specs.push({ name: 'fc.bias', module: 'fc', role: 'fc.bias', torchShape: [outFeatures], tfjsShape: [outFeatures], trainable: true });
  return specs;
}

/** Number of trainable parameters (what torchvision's `sum(p.numel() for p in model.parameters())` counts). */
export function countParameters(config: ResNetConfig): number {
  return resnetParamSpecs(config)
    .filter((s) => s.trainable)
    .reduce((a, s) => a + s.torchShape.reduce((x, y) => x * y, 1), 0);
}
