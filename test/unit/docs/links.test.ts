/**
 * The documents point where they say: every citation of the design notes in the code names a section that docs/design.md
 * has; every relative link of README.md and docs/ reaches a file of the repository (and a heading, when it names one);
 * the README and the command-line texts send readers to the reference pages, not to TypeScript files, for the fields.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorOf } from '../../../scripts/gen-reference';
import { REPO_ROOT } from '../../support/files';

const read = (rel: string): string => readFileSync(path.join(REPO_ROOT, rel), 'utf8');

/** Files under the given folders of the repository with one of the extensions (repository-relative paths). */
function files(folders: string[], extensions: RegExp): string[] {
  return folders.flatMap((folder) =>
    (readdirSync(path.join(REPO_ROOT, folder), { recursive: true }) as string[])
      .map((f) => path.join(folder, f))
      .filter((f) => extensions.test(f) && statSync(path.join(REPO_ROOT, f)).isFile()),
  );
}

/** The headings of a Markdown text, without their `#`s. */
const headings = (markdown: string): string[] =>
  markdown
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => l.replace(/^#+ /, '').trim());

/** Each `docs/design.md` citation in a text: the section name that follows it (across comment line breaks), or null. */
function designCitations(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = text.indexOf('docs/design.md'); i !== -1; i = text.indexOf('docs/design.md', i + 1)) {
    const after = text.slice(i + 'docs/design.md'.length, i + 'docs/design.md'.length + 200).replace(/\s*\n\s*(?:\*|\/\/|#)?\s*/g, ' ');
    const m = /^,?\s*"([^"]+)"/.exec(after);
    out.push(m ? m[1]! : null);
  }
  return out;
}

const CODE = files(['src-shared', 'src-main', 'src-renderer', 'test', 'scripts'], /\.(ts|tsx|mjs|js|py|sh)$/).filter(
  (f) => !f.startsWith(path.join('test', 'unit', 'docs', 'links.test.ts')),
);

describe('citations of the design notes', () => {
  const sections = new Set(headings(read('docs/design.md')));

  it('reads a section name after a citation, across comment line breaks', () => {
    expect(designCitations('/** P(referable) (docs/design.md "Referable DR"). */')).toEqual(['Referable DR']);
    expect(designCitations(' * Folders (docs/design.md, "The study\n * folder").')).toEqual(['The study folder']);
    expect(designCitations('// see docs/design.md for details')).toEqual([null]);
  });

  it('name a section of docs/design.md, by its exact heading', () => {
    const bad: string[] = [];
    let cited = 0;
    for (const f of CODE) {
      for (const section of designCitations(read(f))) {
        cited++;
        if (section === null) bad.push(`${f}: docs/design.md without a section name`);
        else if (!sections.has(section)) bad.push(`${f}: docs/design.md "${section}" is not a heading of docs/design.md`);
      }
    }
    expect(cited).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  });

  it('never cite a design document outside the repository', () => {
    const outside = CODE.filter((f) => /\bDESIGN(\.md)?\b/.test(read(f)));
    expect(outside).toEqual([]);
  });
});

describe('links of README.md and docs/', () => {
  const DOCS = ['README.md', ...files(['docs'], /\.md$/)];

  it('reach files of the repository, and headings that exist', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = read(doc).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = file === '' ? doc : path.normalize(path.join(path.dirname(doc), file));
        let exists = false;
        try {
          exists = statSync(path.join(REPO_ROOT, resolved)).isFile() || statSync(path.join(REPO_ROOT, resolved)).isDirectory();
        } catch {
          exists = false;
        }
        if (!exists) broken.push(`${doc}: ${target} (no ${resolved})`);
        else if (anchor && resolved.endsWith('.md') && !headings(read(resolved)).some((h) => anchorOf(h) === anchor)) {
          broken.push(`${doc}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("show the README's screenshots from docs/images/, each small enough to commit (< 300 KB)", () => {
    const readme = read('README.md');
    const images = files(['docs/images'], /\.(png|jpe?g|svg)$/);
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      expect(readme, image).toContain(`](${image.split(path.sep).join('/')})`);
      expect(statSync(path.join(REPO_ROOT, image)).size, image).toBeLessThan(300_000);
    }
  });

  it('write no <placeholder> outside code, where a Markdown viewer would take it for an HTML tag and hide it', () => {
    const hidden: string[] = [];
    for (const doc of DOCS) {
      const lines = read(doc)
        .replace(/```[\s\S]*?```/g, '')
        .split('\n');
      lines.forEach((line, i) => {
        const prose = line.split('`').filter((_, j) => j % 2 === 0);
        if (prose.some((p) => /<(?!!--)[a-zA-Z/]/.test(p))) hidden.push(`${doc}:${i + 1}: ${line}`);
      });
    }
    expect(hidden).toEqual([]);
  });

  it('send users to the reference pages for the fields of the files they write, not to TypeScript files', () => {
    const readme = read('README.md');
    expect(readme).not.toMatch(/src-(shared|main|renderer)\//);
    for (const page of ['training-spec.md', 'grid.md', 'study-plan.md']) expect(readme).toContain(`](docs/reference/${page})`);
    const texts = files(['src-main', 'src-shared'], /\.tsx?$/).filter((f) =>
      /(fields:?|fields of|documented in) src-shared\//.test(read(f)),
    );
    expect(texts).toEqual([]);
  });
});
