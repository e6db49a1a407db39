import { defineConfig } from 'vitest/config';

// `npm test` runs both projects. The global setup builds dist/ first (worker processes, the CLI
// and the renderer served to Chromium are the built files), so tests never run stale builds.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/build.ts'],
    pool: 'forks',
    // Test files run two at a time (vitest's default is one per core minus one: a single file on CI's 2
    // cores); single-threaded wasm keeps them from competing for the cores. The threaded default is
    // tested on its own (engine/wasm-threads). End-to-end files run one at a time among themselves.
    maxWorkers: 2,
    env: { FUNDUSLAB_WASM_THREADS: '1' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'] },
      },
      {
        // Everything that must run on WebGPU, on Mesa's llvmpipe software adapter where there is no GPU
        // (test/support/webgpu.ts). EGL_PLATFORM=surfaceless lets Mesa's EGL open it without a display.
        extends: true,
        test: {
          name: 'webgpu',
          include: ['test/webgpu/**/*.test.ts'],
          env: { FUNDUSLAB_WASM_THREADS: '1', FUNDUSLAB_BACKEND: 'webgpu', EGL_PLATFORM: 'surfaceless' },
        },
      },
      {
        // FundusLab on a real Slurm cluster (SLURM_CONF; .ci/run starts a one-node cluster). One file at a time: its tasks share the cores.
        extends: true,
        test: { name: 'slurm', include: ['test/slurm/**/*.test.ts'], fileParallelism: false, testTimeout: 900_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 180_000 },
      },
    ],
  },
});
