/** Unit parsing for durations and memory sizes. Both throw an Error with a user-facing message. */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** `500ms`, `30s`, `10m`, `2h`, `1h30m`, or a number (or numeric string) of seconds. Returns milliseconds. */
export function parseDuration(input: string | number): number {
  const fail = (): never => {
    throw new Error(
      `invalid duration ${JSON.stringify(input)}: expected e.g. 500ms, 30s, 10m, 2h or a number of seconds`,
    );
  };
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0) fail();
    return Math.round(input * 1000);
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseDuration(Number(s));
  let ms = 0;
  let at = 0;
  while (at < s.length) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(s);
    if (!m) return fail();
    ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = DURATION_PART.lastIndex;
  }
  if (s.length === 0 || ms <= 0) fail();
  return Math.round(ms);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** `512Mi`, `2Gi`, `1G`, `500K`, or a plain number of bytes (Kubernetes quantity style). Returns bytes. */
export function parseMemoryBytes(input: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(String(input).trim());
  const bytes = m ? Number(m[1]) * MEMORY_UNITS[m[2] ?? '']! : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0) {
    throw new Error(`invalid memory ${JSON.stringify(input)}: expected e.g. 512Mi, 2Gi, 1G or a number of bytes`);
  }
  return Math.ceil(bytes);
}

/** As parseMemoryBytes, in MiB. */
export function parseMemory(input: string | number): number {
  return parseMemoryBytes(input) / 2 ** 20;
}
