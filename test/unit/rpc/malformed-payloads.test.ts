/**
 * Every channel of the contract, fed malformed payloads through the dispatcher that all transports
 * use: the service behind it must never be called, and the error must name the failing field.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, contract, type Channel } from '../../../src-shared/contract';
import { createDispatcher, type Handlers } from '../../../src-main/rpc/dispatch';
import { memoryLogger } from '../../../src-main/services/log';

/** One valid input per channel (the test fails if a channel is added without one). */
const VALID: Record<Channel, unknown> = {
  'app.info': {},
  'engine.status': {},
  'engine.doctor': {},
  'settings.get': {},
  'settings.update': { theme: 'dark' },
  'study.create': { path: '/tmp/study-a', name: 'Pilot' },
  'study.open': { path: '/tmp/study-a' },
  'study.recent': {},
  'dialog.pickFolder': { title: 'Pick' },
  'dialog.pickFile': { title: 'Pick a checkpoint', filters: [{ name: 'PyTorch', extensions: ['pth', 'pt', 'tar'] }] },
  'jobs.submit': { kind: 'engine.selftest', params: { size: 16, batch: 2, steps: 2 } },
  'jobs.list': {},
  'jobs.get': { id: 'abc' },
  'jobs.cancel': { id: 'abc' },
  'jobs.retry': { id: 'abc' },
  'datasets.list': { studyPath: '/tmp/study-a' },
  'datasets.get': { studyPath: '/tmp/study-a', datasetId: 'eyepacs-demo' },
  'datasets.items': {
    studyPath: '/tmp/study-a',
    datasetId: 'eyepacs-demo',
    offset: 0,
    limit: 24,
    filter: { grade: 2, split: 'train', lesion: 'MA' },
  },
  'datasets.image': {
    studyPath: '/tmp/study-a',
    datasetId: 'idrid-seg-demo',
    itemId: 'IDRiD_01',
    variant: 'overlay',
    size: 160,
    masks: ['MA', 'EX'],
  },
  'datasets.csvPreview': { path: '/tmp/labels.csv' },
  'files.list': { path: '/tmp', hidden: false },
  'weights.inspect': { path: '/tmp/moco_v2_800ep_pretrain.pth.tar', classes: 5, archs: ['resnet50', 'resnet50-w16'] },
  'grid.get': { studyPath: '/tmp/study-a' },
  'grid.save': {
    studyPath: '/tmp/study-a',
    spec: {
      strategies: ['IWNE-FS', 'IFI-FS'],
      fractions: [0.1, 1],
      seeds: [0],
      base: { datasetId: 'eyepacs' },
      imagenetWeights: '/w/resnet50.pth',
    },
  },
  'grid.launch': { studyPath: '/tmp/study-a' },
  'studyPlan.get': { studyPath: '/tmp/study-a' },
  'runs.get': { studyPath: '/tmp/study-a', runId: 'iwne-fs-resnet50-eyepacs-f0.1-s0' },
  'runs.stopAfterEpoch': { studyPath: '/tmp/study-a', runId: 'iwne-fs-resnet50-eyepacs-f0.1-s0' },
  'runs.extend': { studyPath: '/tmp/study-a', runId: 'iwne-fs-resnet50-eyepacs-f0.1-s0', epochs: 20 },
  'results.get': { studyPath: '/tmp/study-a' },
  'evaluations.get': { studyPath: '/tmp/study-a', name: 'iwne-fs-resnet50-eyepacs-f0.1-s0__messidor2__all' },
  'results.tableCsv': { studyPath: '/tmp/study-a' },
  'evaluations.predictionsCsv': { studyPath: '/tmp/study-a', name: 'iwne-fs-resnet50-eyepacs-f0.1-s0__messidor2__all' },
  'spectra.list': { studyPath: '/tmp/study-a' },
  'robustness.list': { studyPath: '/tmp/study-a' },
  'robustness.gallery': { studyPath: '/tmp/study-a', name: 'eyepacs-test__0123456789', file: 'gallery/gaussian_noise-3.png' },
  'explanations.list': { studyPath: '/tmp/study-a' },
  'explanations.heatmap': {
    studyPath: '/tmp/study-a',
    name: 'iwne-fs-resnet50-eyepacs-f1-s0__idrid-seg',
    imageId: 'IDRiD_01',
    masks: true,
  },
  'runs.list': { studyPath: '/tmp/study-a' },
  'reports.list': { studyPath: '/tmp/study-a' },
  'reports.file': { studyPath: '/tmp/study-a', file: 'report-2026-01-02-03-04-05.pdf' },
  'shell.openPath': { path: '/tmp/study-a/reports/report-2026-01-02-03-04-05.pdf' },
  'trash.delete': { studyPath: '/tmp/study-a', kind: 'dataset', name: 'eyepacs-demo', confirm: true },
  'trash.list': { studyPath: '/tmp/study-a' },
  'trash.restore': { studyPath: '/tmp/study-a', entry: '2026-01-02T03-04-05.678Z' },
  'trash.empty': { studyPath: '/tmp/study-a', entry: '2026-01-02T03-04-05.678Z-2' },
  'models.export': { studyPath: '/tmp/study-a', runId: 'iwne-fs-resnet50-eyepacs-f1-s0', format: 'tfjs', out: '/tmp/exports/model' },
  'cluster.status': { studyPath: '/tmp/study-a' },
  'cluster.cancel': { studyPath: '/tmp/study-a', submission: '20260102-030405-grid' },
};

function spies() {
  const handlers = Object.fromEntries(CHANNELS.map((c) => [c, vi.fn(async () => ({}))])) as unknown as Handlers &
    Record<Channel, ReturnType<typeof vi.fn>>;
  const log = memoryLogger();
  return { handlers, log, dispatch: createDispatcher(handlers, log) };
}

function totalCalls(handlers: Record<Channel, ReturnType<typeof vi.fn>>): number {
  return CHANNELS.reduce((n, c) => n + handlers[c].mock.calls.length, 0);
}

/** Wrong-typed replacements for a value. */
function wrongTypes(value: unknown): unknown[] {
  const all: unknown[] = [null, 42, -1.5, 'text', '', true, [], [1, 2], { nested: 1 }];
  return all.filter((candidate) => typeof candidate !== typeof value || Array.isArray(candidate) !== Array.isArray(value));
}

describe('malformed payloads never reach a service', () => {
  it('has a valid sample for every channel, and each sample does reach its service', async () => {
    expect(Object.keys(VALID).sort()).toEqual([...CHANNELS].sort());
    for (const channel of CHANNELS) {
      const { handlers, dispatch } = spies();
      await dispatch(channel, VALID[channel], { transport: 'test' });
      expect(handlers[channel], channel).toHaveBeenCalledTimes(1);
    }
  });

  it.each(CHANNELS)('%s: non-object payloads are refused as BAD_REQUEST', async (channel) => {
    const { handlers, dispatch, log } = spies();
    for (const payload of [undefined, null, 0, 'x', true, [], [VALID[channel]], () => 1, Symbol('s')]) {
      const response = await dispatch(channel, payload, { transport: 'test' });
      expect(response.ok).toBe(false);
      if (!response.ok) {
        expect(response.error.code).toBe('BAD_REQUEST');
        expect(response.error.issues?.length).toBeGreaterThan(0);
      }
    }
    expect(totalCalls(handlers)).toBe(0);
    expect(log.lines.filter((l) => l.level === 'warn').length).toBeGreaterThan(0);
  });

  it.each(CHANNELS)('%s: unknown extra fields are refused', async (channel) => {
    const { handlers, dispatch } = spies();
    const payload = { ...(VALID[channel] as object), injected: '<script>' };
    const response = await dispatch(channel, payload, { transport: 'test' });
    expect(response.ok).toBe(false);
    if (!response.ok) expect(JSON.stringify(response.error)).toContain('injected');
    expect(totalCalls(handlers)).toBe(0);
  });

  it.each(CHANNELS.filter((c) => Object.keys(VALID[c] as object).length > 0))(
    '%s: every field with a wrong type or missing is refused, and the error names the field',
    async (channel) => {
      const { handlers, dispatch } = spies();
      const valid = VALID[channel] as Record<string, unknown>;
      for (const key of Object.keys(valid)) {
        const variants: unknown[] = wrongTypes(valid[key]).map((bad) => ({ ...valid, [key]: bad }));
        const { [key]: _dropped, ...without } = valid;
        const accepted = contract[channel].input.safeParse(without).success;
        if (!accepted) variants.push(without);
        for (const payload of variants) {
          const response = await dispatch(channel, payload, { transport: 'test' });
          // A few wrong types can be legitimately valid (e.g. the optional `params` default); the
          // oracle is the schema itself: if it refuses, the service must not be called and the
          // error must name the field.
          if (contract[channel].input.safeParse(payload).success) continue;
          expect(response.ok, JSON.stringify(payload)).toBe(false);
          if (!response.ok) expect(response.error.issues?.map((i) => i.path).join(' ')).toContain(key);
        }
      }
      expect(totalCalls(handlers)).toBe(0);
    },
  );

  it('unknown channels and non-string channel names are refused without calling anything', async () => {
    const { handlers, dispatch } = spies();
    for (const channel of ['nope', '__proto__', 'constructor', 'toString', '', 42, null, undefined, { toString: () => 'app.info' }]) {
      const response = await dispatch(channel, {}, { transport: 'test' });
      expect(response).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
    expect(totalCalls(handlers)).toBe(0);
  });

  it('property: a service is called exactly when its schema accepts the payload, with the parsed value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CHANNELS),
        fc.oneof(fc.jsonValue(), fc.constantFrom(...Object.values(VALID))),
        async (channel, payload) => {
          const { handlers, dispatch } = spies();
          await dispatch(channel, payload, { transport: 'test' });
          const parsed = contract[channel].input.safeParse(payload);
          expect(totalCalls(handlers)).toBe(parsed.success ? 1 : 0);
          if (parsed.success) expect(handlers[channel].mock.calls[0]![0]).toEqual(parsed.data);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a service that throws does not crash the dispatcher; the error is structured', async () => {
    const { handlers, dispatch, log } = spies();
    handlers['study.open'].mockImplementation(async () => {
      throw new TypeError('boom');
    });
    const response = await dispatch('study.open', { path: '/x' }, { transport: 'test' });
    expect(response).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(log.lines.some((l) => l.level === 'error' && l.message.includes('boom'))).toBe(true);
  });

  it('a service output that breaks its schema is not passed on', async () => {
    const { handlers, dispatch } = spies();
    handlers['study.recent'].mockImplementation(async () => [{ path: 1 }]);
    const response = await dispatch('study.recent', {}, { transport: 'test' });
    expect(response).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});
