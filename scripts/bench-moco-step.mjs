// Bundles scripts/bench-moco-step.ts into dist/ and runs it (arguments passed on).
import { runTsScript } from './run-ts.mjs';

await runTsScript('bench-moco-step', process.argv.slice(2));
