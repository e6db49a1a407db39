import { defineConfig } from 'vite';
import path from 'node:path';

// The renderer is a static bundle: loaded from the app:// protocol in Electron and served by the
// HTTP bridge in browser mode. Relative base so both work.
export default defineConfig({
  root: path.resolve(import.meta.dirname, 'src-renderer'),
  base: './',
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // MUI marks its modules "use client" for React Server Components; meaningless in a static bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && /use client/.test(warning.message)) return;
        warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
