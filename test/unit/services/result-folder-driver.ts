/**
 * Child process for result-folder.test.ts: writes version `version` of a result folder with
 * writeResultFolder and SIGKILLs itself at the named step (argv: parent, name, version, step).
 * Step `fill` kills it half-way through writing the files.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeResultFolder } from '../../../src-main/services/study-folder/result-folder';

const [parent, name, version, step] = process.argv.slice(2) as [string, string, string, string];
const die = () => process.kill(process.pid, 'SIGKILL');

await writeResultFolder(
  { parent, dir: path.join(parent, name) },
  async (tmp) => {
    await fsp.writeFile(path.join(tmp, 'a.txt'), `a${version}`);
    if (step === 'fill') die();
    await fsp.mkdir(path.join(tmp, 'gallery'));
    await fsp.writeFile(path.join(tmp, 'gallery', 'b.txt'), `b${version}`);
    await fsp.writeFile(path.join(tmp, 'result.json'), JSON.stringify({ version: Number(version) }));
  },
  {
    afterStep: (s) => {
      if (s === step) die();
    },
  },
);
process.send?.({ done: true });
