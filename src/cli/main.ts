// Entry point of the `duckling` command (bin/duckling.js loads this file through tsx).
import { runCli } from './run.js';

const exitCode = await runCli(process.argv);
// Exits explicitly: an idle keep-alive socket of fetch would otherwise hold the process open for seconds.
process.exit(exitCode);
