// Bundles scripts/bench-augment.ts into dist/ and runs it (arguments passed on).
import { runTsScript } from './run-ts.mjs';

await runTsScript('bench-augment', process.argv.slice(2));
