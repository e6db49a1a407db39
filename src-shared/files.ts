/**
 * The server-side file browser (`files.list`): what the study wizard's Weights step shows in browser
 * mode, where the page cannot open a native file dialog. It lists one folder — its sub-folders and
 * only the files a weights field accepts — by name and size; it never reads a file's contents.
 */
import { z } from 'zod';
import { AbsolutePath } from './study';

/** The file endings the browser lists (weights files: torchvision .pth, MoCo .pth.tar, .safetensors, FundusLab tfjs model.json). */
export const WEIGHTS_FILE_ENDINGS = ['.pth', '.pth.tar', '.safetensors', '.json'] as const;

/** Most entries one listing returns (a folder with more says `truncated`). */
export const MAX_LISTED_ENTRIES = 5000;

export const FilesListRequest = z
  .object({
    path: AbsolutePath.describe('The folder to list (absolute)'),
    hidden: z.boolean().default(false).describe('Also list names starting with a dot'),
  })
  .strict();
export type FilesListRequest = z.input<typeof FilesListRequest>;

export const FileEntry = z
  .object({
    name: z.string(),
    kind: z.enum(['dir', 'file']),
    /** Bytes of a file; null for a folder. */
    size: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type FileEntry = z.infer<typeof FileEntry>;

export const FilesListing = z
  .object({
    /** The folder listed, absolute and normalised. */
    path: z.string(),
    /** Its parent folder; null at the root of the file system. */
    parent: z.string().nullable(),
    /** Folders first, then files, each by name. */
    entries: z.array(FileEntry),
    truncated: z.boolean(),
  })
  .strict();
export type FilesListing = z.infer<typeof FilesListing>;

/** Whether a file name ends with one of the weights file endings (case-insensitive). */
export function isWeightsFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return WEIGHTS_FILE_ENDINGS.some((e) => lower.endsWith(e));
}
