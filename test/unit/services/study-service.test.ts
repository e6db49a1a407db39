import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { StudyFile } from '../../../src-shared/study';
import { STUDY_SUBFOLDERS, StudyService } from '../../../src-main/services/study-folder/study-service';
import { tempDirSync } from '../../support/files';

const tmp = () => tempDirSync('study');
const service = () => new StudyService({ appVersion: '9.9.9', now: () => new Date('2026-01-02T03:04:05Z') });

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

describe('StudyService', () => {
  it('creates a study folder with a versioned study.json and the standard sub-folders', async () => {
    const dir = path.join(tmp(), 'nested', 'pilot');
    const summary = await service().create(dir, '  Pilot study ');
    expect(summary.path).toBe(dir);
    const onDisk = StudyFile.parse(JSON.parse(readFileSync(path.join(dir, 'study.json'), 'utf8')));
    expect(onDisk).toEqual(summary.study);
    expect(onDisk).toMatchObject({
      schemaVersion: 1,
      name: 'Pilot study',
      createdAt: '2026-01-02T03:04:05.000Z',
      createdWith: { app: 'FundusLab', version: '9.9.9' },
    });
    for (const sub of STUDY_SUBFOLDERS) expect(existsSync(path.join(dir, sub))).toBe(true);
    // no temp files left behind by the atomic write
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('opens what it created', async () => {
    const dir = path.join(tmp(), 's');
    const created = await service().create(dir, 'A');
    expect(await service().open(dir)).toEqual(created);
  });

  it('refuses to create over an existing study or in a non-empty folder, and says why', async () => {
    const dir = path.join(tmp(), 's');
    await service().create(dir, 'A');
    expect((await errorOf(service().create(dir, 'B'))).message).toMatch(/already contains a FundusLab study/);
    const busy = tmp();
    writeFileSync(path.join(busy, 'notes.txt'), 'x');
    const error = await errorOf(service().create(busy, 'B'));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('notes.txt');
    expect(error.issues?.[0]?.path).toBe('path');
  });

  it('a corrupt study.json gives STUDY_CORRUPT and is kept byte for byte', async () => {
    const dir = path.join(tmp(), 's');
    await service().create(dir, 'A');
    const file = path.join(dir, 'study.json');
    const garbage = '{"schemaVersion": 1, "name": "A", trunc';
    writeFileSync(file, garbage);
    const error = await errorOf(service().open(dir));
    expect(error.code).toBe('STUDY_CORRUPT');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe(garbage);
  });

  it('a study.json with a wrong field names the field and is kept', async () => {
    const dir = path.join(tmp(), 's');
    await service().create(dir, 'A');
    const file = path.join(dir, 'study.json');
    const bad = { ...JSON.parse(readFileSync(file, 'utf8')), name: 42 };
    writeFileSync(file, JSON.stringify(bad));
    const error = await errorOf(service().open(dir));
    expect(error.code).toBe('STUDY_CORRUPT');
    expect(error.issues?.map((i) => i.path)).toContain('study.json:name');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(bad);
  });

  it('a study from a newer FundusLab is refused as UNSUPPORTED, not as corrupt', async () => {
    const dir = path.join(tmp(), 's');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'study.json'), JSON.stringify({ schemaVersion: 99 }));
    const error = await errorOf(service().open(dir));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/version 99/);
  });

  it('opening a folder without study.json says so', async () => {
    const error = await errorOf(service().open(tmp()));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/No study\.json/);
  });

  it('a path through a file is NOT_WRITABLE with the reason', async () => {
    const base = tmp();
    writeFileSync(path.join(base, 'file'), 'x');
    const error = await errorOf(service().create(path.join(base, 'file', 'study'), 'A'));
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toMatch(/not a folder|ENOTDIR/);
  });

  it.runIf(process.platform === 'linux')('a folder on a file system that refuses writes is NOT_WRITABLE', async () => {
    const error = await errorOf(service().create('/sys/funduslab-study-test', 'A'));
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toContain('/sys/funduslab-study-test');
  });

  it.runIf(process.platform !== 'win32' && process.getuid?.() !== 0)('a read-only folder is NOT_WRITABLE (permission denied)', async () => {
    const dir = tmp();
    chmodSync(dir, 0o500);
    const error = await errorOf(service().create(dir, 'A'));
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toMatch(/permission denied/);
    chmodSync(dir, 0o700);
  });
});
