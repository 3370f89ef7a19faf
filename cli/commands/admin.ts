import { Command, InvalidArgumentError, Option } from 'commander';
import { NO_CONTROL, NO_CONTROL_HINT } from '../../core/util/text.js';
import { colors, out, printJson } from '../output.js';

const ROLES = ['viewer', 'operator', 'admin'];

function keyName(value: string): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 100 || !NO_CONTROL.test(name))
    throw new InvalidArgumentError(`--name: 1-100 characters; ${NO_CONTROL_HINT}`);
  return name;
}

/** Commands run where the database is reachable: they use DATABASE_URL or the data dir's PGlite, never the API. */
export function adminCommands(): Command {
  const cmd = new Command('admin').description(
    'Local administration against the database (DATABASE_URL, else PGlite in $SLUICE_DATA_DIR), not the API',
  );
  cmd
    .command('issue-key')
    .description(
      'Issue an API key directly in the database and print its secret once: the way back in when no admin key ' +
        'is left, and the first admin key of a split deployment. Audited as local:<os user>@<host>. With the ' +
        'embedded PGlite database, stop the stack first.',
    )
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--name <name>', 'what the key is for (default: "<role> (local)")', keyName)
    .action(async (o: { role: 'viewer' | 'operator' | 'admin'; name?: string }, c: Command) => {
      const json = Boolean(c.optsWithGlobals<{ json?: boolean }>().json);
      // Loaded here: the HTTP commands never load a database driver.
      const { ConfigError, loadConfig } = await import('../../core/config.js');
      const { issueLocalKey, localActor } = await import('../../core/access/local-key.js');
      let config;
      try {
        config = loadConfig(process.env);
      } catch (e) {
        if (e instanceof ConfigError) throw new InvalidArgumentError(e.message);
        throw e;
      }
      const actor = localActor();
      const k = await issueLocalKey(config, { name: o.name ?? `${o.role} (local)`, role: o.role }, actor);
      if (json) return printJson(k);
      out(`issued ${k.id} (${k.role}, prefix ${k.prefix}) as ${actor} — store this secret now, it is not shown again:`);
      out(colors.bold(k.key));
    });
  return cmd;
}
