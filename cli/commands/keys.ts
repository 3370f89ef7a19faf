import { Command, Option } from 'commander';
import { contextOf } from '../context.js';
import { ago, colors, out, printJson, table } from '../output.js';

interface Key {
  id: string;
  name: string;
  role: string;
  prefix: string | null;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  scope?: { predict: string[] } | null;
}

const collect = (v: string, prev: string[]) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export function keyCommands(): Command {
  const cmd = new Command('keys').alias('key').description('Manage API keys (admin)');

  cmd
    .command('create')
    .description('Issue an API key; its secret is printed once')
    .argument('<name>')
    .addOption(
      new Option('--role <role>', 'what the key may do').choices(['viewer', 'operator', 'admin']).default('viewer'),
    )
    .option('--expires <time>', 'ISO-8601 expiry (default: never)')
    .option(
      '--predict-on <deployment>',
      'limit the key to predicting (and feedback) on this deployment; repeat or comma-separate for more',
      collect,
      [] as string[],
    )
    .action(async (name: string, o: { role: string; expires?: string; predictOn: string[] }, c: Command) => {
      const { client, json } = contextOf(c);
      const scoped = o.predictOn.length > 0;
      const k = await client.json<Key & { key: string }>('POST', '/v1/keys', {
        body: {
          name,
          role: o.role,
          ...(o.expires ? { expiresAt: o.expires } : {}),
          ...(scoped ? { scope: { predict: o.predictOn } } : {}),
        },
      });
      if (json) return printJson(k);
      const what = k.scope ? `predict on ${k.scope.predict.join(', ')} only` : k.role;
      out(`issued ${k.id} (${what}) — store this secret now, it is not shown again:`);
      out(colors.bold(k.key));
    });

  cmd
    .command('ls')
    .alias('list')
    .description('List API keys (never their secrets)')
    .action(async (_o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ items: Key[] }>('GET', '/v1/keys');
      if (json) return printJson(r);
      table(
        ['ID', 'PREFIX', 'NAME', 'ROLE', 'SCOPE', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'],
        r.items.map((k) => [
          k.id,
          k.prefix ? `${k.prefix}…` : '-',
          k.name,
          k.role,
          k.scope ? `predict:${k.scope.predict.join(',')}` : '-',
          ago(k.createdAt),
          ago(k.lastUsedAt),
          ago(k.expiresAt),
          k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active',
        ]),
      );
    });

  cmd
    .command('revoke')
    .description('Revoke an API key at once')
    .argument('<id>')
    .action(async (id: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const k = await client.json<Key>('DELETE', `/v1/keys/${id}`);
      if (json) printJson(k);
      else out(`revoked ${k.id} (${k.name})`);
    });
  return cmd;
}
