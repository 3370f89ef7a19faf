import { InvalidArgumentError } from 'commander';
import { z } from 'zod';

/** What the CLI reads from the environment; flags override each of these. */
const cliEnvSchema = z.object({
  SLUICE_API_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).default('http://127.0.0.1:8001'),
  SLUICE_API_KEY: z.string().trim().min(1).optional(),
  /** Where the embedded stack keeps its admin key. */
  SLUICE_DATA_DIR: z.string().min(1).default('./.sluice'),
});

export type CliEnv = Readonly<z.infer<typeof cliEnvSchema>>;

/** Parses the CLI's variables (empty ones count as unset); a bad value is a usage error naming the variable. */
export function cliEnv(env: Record<string, string | undefined> = process.env): CliEnv {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('SLUICE_') && v !== ''));
  const parsed = cliEnvSchema.safeParse(relevant);
  if (!parsed.success) throw new InvalidArgumentError(`invalid environment:\n${z.prettifyError(parsed.error)}`);
  return Object.freeze(parsed.data);
}
