// `npm run docs:reference`: writes docs/reference/*.md from the zod schemas' descriptions
// (scripts/gen-reference.ts). The TypeScript is bundled in memory with esbuild, as scripts/build.mjs
// builds the app, and loaded from a data: URL, so nothing is written but the pages.
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs', 'reference');

const bundle = await build({
  absWorkingDir: root,
  entryPoints: ['scripts/gen-reference.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const generator = await import('data:text/javascript;base64,' + Buffer.from(bundle.outputFiles[0].contents).toString('base64'));

const undocumented = generator.undocumentedFields();
if (undocumented.length > 0) {
  process.stderr.write(`Fields without a description (add .describe() to the schema):\n  ${undocumented.join('\n  ')}\n`);
  process.exitCode = 1;
}
await mkdir(outDir, { recursive: true });
for (const { file, text } of generator.referencePages()) {
  const target = path.join(outDir, file);
  const before = await readFile(target, 'utf8').catch(() => null);
  if (before === text) continue;
  await writeFile(target, text);
  process.stdout.write(`wrote docs/reference/${file}\n`);
}
