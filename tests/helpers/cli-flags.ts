import { buildProgram } from '../../cli/main.js';

/** The long flags a fairsweep subcommand accepts (from the CLI's own commander program). */
export function cliFlags(command: string): Set<string> {
  const cmd = buildProgram().commands.find((c) => c.name() === command);
  if (!cmd) throw new Error(`fairsweep has no command "${command}"`);
  return new Set([...cmd.options.flatMap((o) => (o.long ? [o.long] : [])), '--help']);
}

/** The flags of `args` (a fairsweep command line without the program name) that its command does not know. */
export function unknownCliFlags(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  if (command === undefined) return ['(no command)'];
  const known = cliFlags(command);
  return rest.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a).filter((f) => !known.has(f));
}
