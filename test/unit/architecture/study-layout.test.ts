/**
 * One owner of the study folder layout: services/study-folder/layout.ts names every folder and file
 * of a study; no other file of src-main spells one where a path is built (path.join/resolve, a
 * '/'-joined array, a template path). The checker is tested on planted violations first.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT as root } from '../../support/files';
import { layoutSpellings } from './study-layout-rules';

const OWNER = 'src-main/services/study-folder/layout.ts';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(entry)) out.push(rel);
  }
  return out;
}

describe('the study folder layout has one owner', () => {
  it('catches a study name spelled in a path (planted cases)', () => {
    expect(layoutSpellings("const d = path.join(study, 'runs', runId);")).toHaveLength(1);
    expect(layoutSpellings("const f = path.resolve(dir, 'best', 'metrics.json');")).toHaveLength(1);
    expect(layoutSpellings("const r = ['cache', key, shard, f].join('/');")).toHaveLength(1);
    expect(layoutSpellings('const p = `${study}/evaluations/${name}`;')).toHaveLength(1);
    expect(layoutSpellings("const p = join(root, 'reports/report.pdf');")).toHaveLength(1);
    // Not paths: option names, messages, step names.
    expect(
      layoutSpellings("const missing = ['study', 'runs', 'dataset'].filter(Boolean); ctx.log('runs done'); phase('spectra');"),
    ).toEqual([]);
  });

  it('no file but layout.ts spells a study folder or file name in a path', () => {
    const files = sourceFiles('src-main').filter((f) => f !== OWNER);
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((f) => layoutSpellings(readFileSync(path.join(root, f), 'utf8'), f).map((w) => `${f}:${w}`));
    expect(offenders).toEqual([]);
  });

  it('the owner itself spells them (the checker sees it)', () => {
    expect(layoutSpellings(readFileSync(path.join(root, OWNER), 'utf8'), OWNER).length).toBeGreaterThan(5);
  });
});
