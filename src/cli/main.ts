import { Command } from 'commander';
import { registerExportCommands } from './commands/exportCommands.js';
import { registerAlertCommands } from './commands/alertCommands.js';
import { registerIngestCommands } from './commands/ingestCommands.js';
import { registerInitCommand } from './commands/initCommand.js';
import { registerMonitorCommands } from './commands/monitorCommands.js';
import { registerReportCommand } from './commands/report.js';
import { registerServeCommands } from './commands/serveCommands.js';
import { registerTokenCommands } from './commands/tokenCommands.js';
import { softwareVersion } from '../version.js';
import {
  createCommandContext,
  describeError,
  exitStatusFor,
  type CommandRegistrar,
} from './program.js';

// Each command lives in its own file and registers itself here.
const registrars: CommandRegistrar[] = [
  registerInitCommand,
  registerReportCommand,
  registerMonitorCommands,
  registerIngestCommands,
  registerServeCommands,
  registerTokenCommands,
  registerExportCommands,
  registerAlertCommands,
];

async function main(argv: string[]): Promise<number> {
  const { context, closeStore } = createCommandContext();
  const program = new Command('driftwatch')
    .description('Drift and data-quality monitoring for machine-learning models')
    .version(softwareVersion(), '-V, --version', 'print the version (from package.json)')
    .exitOverride()
    .showHelpAfterError();
  for (const register of registrars) register(program, context);
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    const commanderCode = (error as { code?: string }).code ?? '';
    if (commanderCode.startsWith('commander.')) {
      // commander already printed help or the usage error
      return commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version'
        ? 0
        : 2;
    }
    process.stderr.write(`${describeError(error)}\n`);
    return exitStatusFor(error);
  } finally {
    await closeStore();
  }
}

process.exitCode = await main(process.argv);
