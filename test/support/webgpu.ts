/**
 * The webgpu test project (test/webgpu/, run with FUNDUSLAB_BACKEND=webgpu and
 * EGL_PLATFORM=surfaceless by vitest.config.ts): activates the webgpu backend — on machines without
 * a GPU, Mesa's llvmpipe software adapter through OpenGL ES. In CI a webgpu backend that cannot be
 * activated fails the tests; elsewhere they are skipped with a message saying what to install.
 */
import type { EngineStatus } from '../../src-shared/engine';
import { initEngine } from '../../src-main/engine/backend';

/** What a Debian/Ubuntu machine without a GPU needs for the software adapter (.ci/run installs them). */
export const WEBGPU_DEBIAN_PACKAGES = 'libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri';

/** Activates webgpu (software adapter allowed: it is forced) and returns the engine status, or null when it is skipped. */
export async function webgpuEngine(): Promise<EngineStatus | null> {
  try {
    return await initEngine({ preference: 'webgpu', env: { ...process.env, FUNDUSLAB_BACKEND: 'webgpu' } });
  } catch (err) {
    const why = `the webgpu backend cannot be activated (${err instanceof Error ? err.message : String(err)}); on Debian/Ubuntu without a GPU install ${WEBGPU_DEBIAN_PACKAGES} and set EGL_PLATFORM=surfaceless`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${why}`);
    console.warn(`skipping webgpu tests: ${why}`);
    return null;
  }
}
