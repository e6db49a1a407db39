import pkg from '../package.json' with { type: 'json' };

export const APP_VERSION: string = pkg.version;
/** Set when running inside Electron (main or utility process). */
export const ELECTRON_VERSION: string | null = process.versions.electron ?? null;
