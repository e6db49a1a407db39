// `npm start`: builds FundusLab and opens the desktop app with the Electron package that `npm install`
// put in node_modules. Electron is an optional dependency (its installer downloads the Electron
// binary); where that download was impossible this prints how to get it, or how to use the same app
// in a web browser instead, rather than failing with `electron: not found`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

/** The Electron binary's path, or why there is none. */
function findElectron() {
  try {
    // The electron package's main export is the path of the binary it downloaded; it throws when the download failed.
    return { binary: require('electron') };
  } catch (error) {
    const missing = error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes("'electron'");
    return {
      problem: missing
        ? 'the optional "electron" package is not installed (npm skips it when the Electron binary cannot be downloaded).'
        : `the "electron" package is installed but its binary is not usable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

const electron = findElectron();
if (!electron.binary) {
  const version = require('./package.json').optionalDependencies.electron;
  console.error(
    [
      `FundusLab cannot open its desktop window: ${electron.problem}`,
      '',
      'Either:',
      `  - install Electron on a machine that can reach GitHub's release downloads: npm install electron@${version}`,
      '    (behind a proxy or mirror, see https://www.electronjs.org/docs/latest/tutorial/installation), then npm start again;',
      '  - or use the same app in your web browser: npm run browser',
    ].join('\n'),
  );
  process.exit(1);
}

const built = spawn(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
built.on('exit', (code) => {
  if (code !== 0) process.exit(code ?? 1);
  const app = spawn(electron.binary, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
  app.on('exit', (appCode, signal) => process.exit(appCode ?? (signal ? 1 : 0)));
});
