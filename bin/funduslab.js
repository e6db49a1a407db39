#!/usr/bin/env node
// The `funduslab` command: the headless entry point over the same services as the app.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error(
    'funduslab: the build output dist/cli.js is missing. Run `npm install` (or `npm run build`) in the FundusLab folder first.',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
