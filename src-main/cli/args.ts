import { parseArgs } from 'node:util';

/** parseArgs with the options every command shares. */
export function parseCommandArgs<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(argv: string[], options: T) {
  return parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, ...options },
    allowPositionals: true,
    strict: true,
  });
}
