// Bundles scripts/bench-conv-grads.ts into dist/ and runs it (arguments passed on).
import { runTsScript } from './run-ts.mjs';

await runTsScript('bench-conv-grads', process.argv.slice(2));
