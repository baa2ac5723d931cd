import { ExitCode } from './errors.js';
import { Output } from './output.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

/** Runs the `duckling` command line (`argv` as in `process.argv`) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return ExitCode.usage;
  }

  try {
    await program.parseAsync(argv);
    return ExitCode.success;
  } catch (error) {
    const json = argv.includes('--json');
    const color = !argv.includes('--no-color');
    return reportError(error, new Output({ json, color, stdout: process.stderr }));
  }
}
