/** Finds the image a CSV cell names: a file name with or without extension, or a relative path. */
import path from 'node:path';
import { rel } from './common';

export type Resolved = { file: string } | { error: 'missing' | 'ambiguous' | 'outside'; reason: string };

export class ImageResolver {
  private readonly byRel = new Map<string, string[]>();
  private readonly byRelStem = new Map<string, string[]>();
  private readonly byBase = new Map<string, string[]>();
  private readonly byStem = new Map<string, string[]>();
  readonly used = new Set<string>();

  constructor(
    private readonly root: string,
    files: string[],
  ) {
    const push = (m: Map<string, string[]>, k: string, f: string) => {
      const list = m.get(k);
      if (list) list.push(f);
      else m.set(k, [f]);
    };
    for (const f of files) {
      const r = rel(root, f).toLowerCase();
      const ext = path.posix.extname(r);
      push(this.byRel, r, f);
      push(this.byRelStem, ext ? r.slice(0, -ext.length) : r, f);
      const base = path.posix.basename(r);
      push(this.byBase, base, f);
      push(this.byStem, ext ? base.slice(0, -ext.length) : base, f);
    }
  }

  resolve(value: string): Resolved {
    let v = value.trim().replace(/\\/g, '/');
    while (v.startsWith('./')) v = v.slice(2);
    if (v === '') return { error: 'missing', reason: 'empty file name' };
    if (v.startsWith('/') || /^[a-z]:\//i.test(v) || path.posix.normalize(v).startsWith('../')) {
      return { error: 'outside', reason: `${value} is outside the dataset folder` };
    }
    const key = path.posix.normalize(v).toLowerCase();
    const tables = key.includes('/') ? [this.byRel, this.byRelStem] : [this.byBase, this.byStem];
    for (const t of tables) {
      const hits = t.get(key);
      if (!hits || hits.length === 0) continue;
      if (hits.length > 1) {
        return {
          error: 'ambiguous',
          reason: `${value} matches ${hits.length} files (${hits
            .slice(0, 3)
            .map((h) => rel(this.root, h))
            .join(', ')}); give the relative path with extension`,
        };
      }
      this.used.add(hits[0]!);
      return { file: hits[0]! };
    }
    return { error: 'missing', reason: `no image ${value} in the dataset folder` };
  }
}

/** Item id of a resolved file: its relative path without extension. */
export function idOfFile(root: string, file: string): string {
  const r = rel(root, file);
  const ext = path.posix.extname(r);
  return ext ? r.slice(0, -ext.length) : r;
}
