/**
 * `npm run bench -- <case> [args…]`: each benchmark is a module exporting `run(args)` (named or
 * default); add one by adding a line to CASES. Every benchmark prints one JSON line per measurement.
 */
type Run = (args: string[]) => Promise<void>;
type Bench = { run?: Run; default?: Run };

const CASES: Record<string, () => Promise<Bench>> = {
  api: () => import('./api.js'),
  gateway: () => import('./gateway.js'),
  pipeline: () => import('./pipeline.js'),
  registry: () => import('./registry.js'),
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? CASES[name] : undefined;
  if (!load) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(CASES).join('|')}> [args…]\n`);
    process.exit(2);
  }
  const bench = await load();
  const run = bench.run ?? bench.default;
  if (!run) throw new Error(`bench/${name} exports no run()`);
  await run(args);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
