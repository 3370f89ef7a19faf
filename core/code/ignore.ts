/** `.sluiceignore`: the gitignore pattern language, enough of it for code packages. */

export interface IgnoreRule {
  negate: boolean;
  /** A trailing `/`: the rule matches directories only. */
  dirOnly: boolean;
  re: RegExp;
}

const escapeChar = (c: string): string => (/[.+^${}()|[\]\\/-]/.test(c) ? `\\${c}` : c);

/** A glob (already stripped of `!`, leading and trailing `/`) as a regex body over `/`-separated paths. */
function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*' && (i === 0 || glob[i - 1] === '/')) {
      if (i + 2 === glob.length) {
        re += '.*';
        i += 1;
        continue;
      }
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
        continue;
      }
    }
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && glob.indexOf(']', i + 2) > i) {
      const end = glob.indexOf(']', i + 2);
      const cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) re += escapeChar(glob[++i]!);
    else re += escapeChar(c);
  }
  return re;
}

/** Parses ignore-file text: `#` comments, `!` re-includes, a trailing `/` for directories, a `/` anchors to the root. */
export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    // Like git: a slash anywhere but at the end ties the pattern to the package root.
    const anchored = line.includes('/');
    line = line.replace(/^\//, '');
    if (line === '') continue;
    const body = globToRegex(line);
    rules.push({ negate, dirOnly, re: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`) });
  }
  return rules;
}

/** Whether `path` (relative, `/`-separated) is ignored: the last matching rule decides. */
export function isIgnored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    if (r.re.test(path)) ignored = !r.negate;
  }
  return ignored;
}
