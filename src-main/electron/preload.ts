/**
 * Preload of every FundusLab window (bundled to dist/electron/preload.cjs; sandboxed, so it may only
 * require 'electron'). Exposes exactly one object, `window.funduslab`, implementing PreloadApi.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { PRELOAD_GLOBAL } from './channels';
import { createPreloadApi } from './preload-api';

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, createPreloadApi(ipcRenderer));
