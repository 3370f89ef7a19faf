import pg from 'pg';

export interface ChannelListener {
  /** True while LISTEN is active: only then may other processes' writes be assumed seen. */
  readonly up: boolean;
  stop(): Promise<void>;
}

export interface ChannelHandlers {
  notify(payload: string | null): void;
  /** The connection came up or went down: anything may have changed unseen. */
  transition(): void;
  error?(err: Error): void;
}

export interface ListenOptions {
  /** Shown in pg_stat_activity, so that an operator (or a test) can tell listeners apart. */
  applicationName?: string;
}

/**
 * LISTENs on `channel` over a dedicated connection. While the connection is down, `up` is false
 * (caches fed by it must bypass themselves) and it reconnects every second; every transition is
 * reported, so that a cache drops what it kept while it could have missed a notification.
 */
export function listenOnChannel(
  databaseUrl: string,
  channel: string,
  on: ChannelHandlers,
  opts: ListenOptions = {},
): ChannelListener {
  let client: pg.Client | undefined;
  let up = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pending: Promise<void> = Promise.resolve();

  const down = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = undefined;
    up = false;
    on.transition();
    if (err) on.error?.(err);
    c.end().catch(() => {});
    if (!stopped)
      timer = setTimeout(() => {
        pending = connect();
      }, 1_000);
  };
  const connect = async () => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: opts.applicationName });
    client = c;
    c.on('notification', (n) => on.notify(n.payload ?? null));
    c.on('error', (err) => down(c, err));
    c.on('end', () => down(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (client !== c) return;
      on.transition();
      up = true;
    } catch (err) {
      down(c, err as Error);
    }
  };
  pending = connect();
  return {
    get up() {
      return up;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pending;
      const c = client;
      client = undefined;
      up = false;
      await c?.end().catch(() => {});
    },
  };
}
