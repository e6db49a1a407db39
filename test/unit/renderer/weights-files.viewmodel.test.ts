/**
 * The weights step's pure helpers: where the file browser opens, its rows (folders first as listed,
 * absolute paths, sizes), the published files the text names and that FundusLab never downloads,
 * and the demo stand-ins — requested for the grid's model, their job found again, the paths it
 * produced, and recognised so they are labelled as stand-ins.
 */
import { describe, expect, it } from 'vitest';
import type { JobState } from '../../../src-shared/jobs';
import {
  PUBLISHED_WEIGHTS,
  STANDIN_LABEL,
  browserRows,
  browserStart,
  formatBytes,
  isStandinPath,
  joinPath,
  parentFolder,
  standinJobFor,
  standinPaths,
  standinRequest,
} from '../../../src-renderer/features/models/weights-files.viewmodel';

function job(over: Partial<JobState> & { id: string }): JobState {
  return {
    kind: 'weights.standin',
    title: 'Demo stand-in weights',
    status: 'succeeded',
    params: { arch: 'resnet18-w8', inputSize: 64, scale: 'demo' },
    studyPath: '/s',
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: null,
    endedAt: null,
    progress: { done: 1, total: 1, message: '', etaSeconds: null },
    error: null,
    result: null,
    log: [],
    ...over,
  };
}

describe('the file browser of browser mode', () => {
  it('opens at the chosen file’s folder, else the study, else the app data folder', () => {
    expect(browserStart('/w/models/resnet50-0676ba61.pth', '/s', '/data')).toBe('/w/models');
    expect(browserStart('/resnet50.pth', '/s', '/data')).toBe('/');
    expect(browserStart('relative/file.pth', '/s', '/data')).toBe('/s');
    expect(browserStart('', null, '/data')).toBe('/data');
    expect(browserStart('C:\\w\\r50.pth', null, '/data')).toBe('C:\\w');
    expect(parentFolder('C:\\r50.pth')).toBe('C:\\');
    expect(parentFolder('weights.pth')).toBeNull();
  });

  it('shows each entry with its absolute path, folders as folders, files with their size', () => {
    const rows = browserRows({
      path: '/w',
      parent: '/',
      truncated: false,
      entries: [
        { name: 'sub', kind: 'dir', size: null },
        { name: 'resnet50-0676ba61.pth', kind: 'file', size: 102_530_333 },
        { name: 'model.json', kind: 'file', size: 512 },
      ],
    });
    expect(rows).toEqual([
      { name: 'sub', kind: 'dir', path: '/w/sub', detail: 'folder' },
      { name: 'resnet50-0676ba61.pth', kind: 'file', path: '/w/resnet50-0676ba61.pth', detail: '98 MB' },
      { name: 'model.json', kind: 'file', path: '/w/model.json', detail: '512 B' },
    ]);
    expect(joinPath('/', 'x.pth')).toBe('/x.pth');
    expect(joinPath('C:\\w', 'x.pth')).toBe('C:\\w\\x.pth');
    expect(formatBytes(1536)).toBe('1.5 KB');
  });

  it('names the published files that work and says FundusLab never downloads', () => {
    expect(PUBLISHED_WEIGHTS.fs).toContain('resnet50-0676ba61.pth');
    expect(PUBLISHED_WEIGHTS.fs).toContain('resnet50-11ad3fa6.pth');
    expect(PUBLISHED_WEIGHTS.cl).toContain('moco_v2_800ep_pretrain.pth.tar');
    expect(PUBLISHED_WEIGHTS.download).toMatch(/^FundusLab itself never downloads anything/);
  });
});

describe('demo stand-in weights', () => {
  it('are requested for the grid’s model and input size; an unusable size asks for nothing', () => {
    expect(standinRequest({ arch: ' resnet50 ', inputSize: '224' })).toEqual({ arch: 'resnet50', inputSize: 224, scale: 'demo' });
    expect(standinRequest({ arch: 'resnet50', inputSize: 'x' })).toBeNull();
    expect(standinRequest({ arch: '', inputSize: '64' })).toBeNull();
  });

  it('the latest job of this study and these settings is found again, and its files fill the fields once it succeeded', () => {
    const request = { arch: 'resnet18-w8', inputSize: 64, scale: 'demo' as const };
    const result = {
      imagenetWeights: '/s/standin-weights/a/imagenet-standin.safetensors',
      mocoWeights: '/s/standin-weights/a/moco-standin.safetensors',
    };
    const jobs = [
      job({ id: 'old', result }),
      job({ id: 'new', createdAt: '2025-01-01T11:00:00.000Z', status: 'running' }),
      job({ id: 'other-study', createdAt: '2025-01-01T12:00:00.000Z', studyPath: '/t', result }),
      job({ id: 'other-arch', createdAt: '2025-01-01T12:00:00.000Z', params: { ...request, arch: 'resnet50' }, result }),
    ];
    expect(standinJobFor(jobs, '/s', request)?.id).toBe('new');
    expect(standinPaths(standinJobFor(jobs, '/s', request))).toBeNull(); // still running
    expect(standinPaths(jobs[0]!)).toEqual({ fs: result.imagenetWeights, cl: result.mocoWeights });
    expect(standinPaths(job({ id: 'f', status: 'failed', result: null }))).toBeNull();
    expect(standinJobFor(jobs, '/s', null)).toBeNull();
  });

  it('are recognised by their file names and labelled as not ImageNet', () => {
    expect(isStandinPath('/s/standin-weights/a/imagenet-standin.safetensors')).toBe(true);
    expect(isStandinPath('/s/standin-weights/a/moco-standin.safetensors')).toBe(true);
    expect(isStandinPath('/w/resnet50-0676ba61.pth')).toBe(false);
    expect(isStandinPath('/w/my-imagenet-standin.safetensors.bak')).toBe(false);
    expect(STANDIN_LABEL).toBe('Demo stand-in (synthetic textures, not ImageNet)');
  });
});
