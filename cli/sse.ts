export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses a text/event-stream body into events (comments and keep-alives are dropped). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
    let sep;
    while ((sep = buf.indexOf('\n\n')) !== -1) {
      const frame = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      const e: SseEvent = { event: 'message', data: '' };
      let fields = 0;
      for (const line of frame.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        fields++;
        if (field === 'event') e.event = value;
        else if (field === 'data') e.data = e.data ? `${e.data}\n${value}` : value;
        else if (field === 'id') e.id = value;
      }
      if (fields > 0) yield e;
    }
  }
}
