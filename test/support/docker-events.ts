import type Docker from 'dockerode';

/** How many containers of a run were created since `sinceMs` (docker's "create" events, by label). */
export async function containerCreates(docker: Docker, runId: string, sinceMs: number): Promise<number> {
  const events = (await docker.getEvents({
    since: Math.floor(sinceMs / 1000) - 1,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: ['create'], label: [`sluice.run=${runId}`] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of events) text += chunk.toString();
  return text.split('\n').filter((l) => l.trim() !== '').length;
}
