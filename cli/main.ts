import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { printError } from './output.js';
import { adminCommands } from './commands/admin.js';
import { keyCommands } from './commands/keys.js';
import { logsCommand } from './commands/logs.js';
import { pipelineCommands } from './commands/pipelines.js';
import { runCommand, runsCommands } from './commands/runs.js';
import { scheduleCommands } from './commands/schedules.js';
import { driftCommand } from './commands/drift.js';
import { eventsCommand } from './commands/events.js';
import { datasetCommands } from './commands/datasets.js';
import { lineageCommand } from './commands/lineage.js';
import { modelCommands } from './commands/models.js';
import { approveCommand } from './commands/approve.js';
import { deployCommand, deploymentCommands } from './commands/deployments.js';

function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Durable MLOps pipelines on Temporal: talk to a Sluice API')
    .option('--api <url>', 'API base URL (default: $SLUICE_API_URL or http://127.0.0.1:8001)')
    .option('--key <key>', 'API key (default: $SLUICE_API_KEY, else <$SLUICE_DATA_DIR or ./.sluice>/admin.key)')
    .option('--json', 'print raw JSON (for scripts)')
    .showHelpAfterError('(add --help for usage)');
  program.addCommand(pipelineCommands());
  program.addCommand(runCommand());
  program.addCommand(runsCommands());
  program.addCommand(approveCommand());
  program.addCommand(logsCommand());
  program.addCommand(scheduleCommands());
  program.addCommand(keyCommands());
  program.addCommand(eventsCommand());
  program.addCommand(modelCommands());
  program.addCommand(datasetCommands());
  program.addCommand(lineageCommand());
  program.addCommand(deployCommand());
  program.addCommand(deploymentCommands());
  program.addCommand(adminCommands());
  program.addCommand(driftCommand());
  return program;
}

/** Exits 0 on success, 1 on any failure (API error, failed run), 2 on bad usage. */
async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof InvalidArgumentError) {
      printError(e);
      process.exitCode = 2;
      return;
    }
    printError(e);
    process.exitCode = 1;
  }
}

await main(process.argv);
