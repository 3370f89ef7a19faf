export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  at: number;
}

/** Reads Server-Sent Events from a fetch response until the stream ends or `stop` says so. */
export async function readSse(res: Response, stop: (e: SseEvent) => boolean = () => false): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buf.indexOf('\n\n')) !== -1) {
      const frame = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      const e: SseEvent = { event: 'message', data: '', at: Date.now() };
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const [k, ...rest] = line.split(':');
        const v = rest.join(':').replace(/^ /, '');
        if (k === 'event') e.event = v;
        else if (k === 'data') e.data += v;
        else if (k === 'id') e.id = v;
      }
      if (frame.split('\n').every((l) => l.startsWith(':'))) continue;
      events.push(e);
      if (stop(e)) return events;
    }
  }
  return events;
}
