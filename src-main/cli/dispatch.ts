/**
 * Runs one subcommand of a command table — shared by the `funduslab` CLI (main.ts) and the portable
 * GPU check (gpu-check.ts): an unknown name lists the commands, `--help` prints the command's usage,
 * and an error becomes one line on stderr (and `{ ok: false, error }` on stdout with `--json`).
 */
import { asAppError } from '../fs/errors';

export interface Command {
  summary: string;
  usage: string;
  /** Receives the arguments after the command's name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/**
 * Runs `command` (the table's entry for `name`, undefined when there is none) with `rest`; `program`
 * prefixes the messages. Exit codes: the command's own, 1 on an error, 2 on a usage error.
 */
export async function runCommand(
  program: string,
  name: string,
  command: Command | undefined,
  rest: string[],
  help: () => string,
): Promise<number> {
  if (!command) {
    process.stderr.write(`${program}: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const payload = asAppError(error).toPayload();
    if (rest.includes('--json')) process.stdout.write(`${JSON.stringify({ ok: false, error: payload }, null, 2)}\n`);
    process.stderr.write(`${program} ${name}: ${payload.message}\n`);
    if (error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`Usage: ${command.usage}\n`);
      return 2;
    }
    return 1;
  }
}
