/**
 * Stop requests from signals. A signal to a process group (Ctrl-C in a terminal, systemd,
 * `docker stop`, `kill -- -PGID`) reaches us directly and again through npm and tsx, which forward
 * it: a repeat within `sameRequestMs` of the first is that same request, not an impatient second.
 * A later one forces the exit; `forceExit` must then end what we started synchronously.
 *
 * Run as `node --import tsx …`, not `tsx …`: tsx's own parent process relays a signal and, when its
 * child has not acknowledged it within about 60 ms (a busy event loop on a loaded machine), kills
 * the child with SIGKILL, leaving the detached Temporal dev server behind.
 */
export function onStopSignals(opts: {
  say: (message: string) => void;
  stop: () => Promise<void>;
  forceExit: () => void;
  sameRequestMs?: number;
}): void {
  const sameRequestMs = opts.sameRequestMs ?? 2000;
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < sameRequestMs) return;
      opts.say(`${signal} again: exiting now`);
      opts.forceExit();
      process.exit(130);
    }
    firstAt = Date.now();
    opts.say(`${signal}: stopping (API, worker, database, Temporal) …`);
    opts.stop().then(
      () => {
        opts.say('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        opts.say(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        opts.forceExit();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
