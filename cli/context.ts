import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, resolveKey } from './client.js';
import { cliEnv } from './env.js';

export interface CliContext {
  client: ApiClient;
  json: boolean;
}

interface GlobalOptions {
  api?: string;
  key?: string;
  json?: boolean;
}

/** The global options (--api, --key, --json) as seen from any subcommand. */
export function contextOf(cmd: Command): CliContext {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const env = cliEnv();
  return {
    client: new ApiClient({ api: o.api ?? env.SLUICE_API_URL, key: resolveKey(o.key, env) }),
    json: Boolean(o.json),
  };
}

/** `-p key=value`, repeatable, into an object; the API coerces each value to its declared type. */
export function collectParam(value: string, acc: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...acc, [value.slice(0, eq)]: value.slice(eq + 1) };
}
