import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { isIgnored, parseIgnore } from './ignore.js';
import { CodePackageError, listCode, packCode } from './pack.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sluice-code-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function writeTree(root: string, files: Record<string, string>, order: string[] = Object.keys(files)) {
  for (const rel of order) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), files[rel]!);
  }
}

async function tarNames(file: string): Promise<string[]> {
  const names: string[] = [];
  await tar.t({ file, onReadEntry: (e) => void names.push(e.path) });
  return names;
}

describe('ignore patterns', () => {
  const rules = parseIgnore(
    ['# comment', '*.csv', '!keep.csv', 'build/', '/top.txt', 'docs/**/*.md', 'a?c', '[xy].log'].join('\n'),
  );
  it.each([
    ['data.csv', false, true],
    ['sub/data.csv', false, true],
    ['keep.csv', false, false],
    ['build', true, true],
    ['build', false, false],
    ['src/build', true, true],
    ['top.txt', false, true],
    ['sub/top.txt', false, false],
    ['docs/a.md', false, true],
    ['docs/x/y/a.md', false, true],
    ['a.md', false, false],
    ['abc', false, true],
    ['abbc', false, false],
    ['x.log', false, true],
    ['z.log', false, false],
    ['train.py', false, false],
  ])('%s (dir: %s) ignored: %s', (path, isDir, ignored) => {
    expect(isIgnored(rules, path, isDir)).toBe(ignored);
  });
});

describe('packCode', () => {
  const files = {
    'train.py': 'print("train")\n',
    'lib/util.py': 'X = 1\n',
    'lib/deep/more.py': 'Y = 2\n',
    'requirements.txt': 'scikit-learn\n',
  };

  it('gives the same digest for the same files, whatever their creation order and mtimes', async () => {
    const a = await tempDir();
    const b = await tempDir();
    await writeTree(a, files);
    await writeTree(b, files, Object.keys(files).reverse());
    await utimes(join(b, 'train.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const out = await tempDir();
    const pa = await packCode(a, join(out, 'a.tar'));
    const pb = await packCode(b, join(out, 'b.tar'));
    expect(pa.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pb.digest).toBe(pa.digest);
    expect(pa.files).toBe(4);
    expect(await tarNames(join(out, 'a.tar'))).toEqual([
      'lib/',
      'lib/deep/',
      'lib/deep/more.py',
      'lib/util.py',
      'requirements.txt',
      'train.py',
    ]);
    await writeFile(join(b, 'train.py'), 'print("changed")\n');
    expect((await packCode(b, join(out, 'c.tar'))).digest).not.toBe(pa.digest);
  });

  it('leaves out what .sluiceignore and the defaults name, so ignored files do not change the digest', async () => {
    const a = await tempDir();
    await writeTree(a, files);
    const out = await tempDir();
    const before = await packCode(a, join(out, '1.tar'));
    await writeTree(a, {
      '.sluiceignore': 'data/\n*.csv\n!keep.csv\n',
      'data/big.bin': 'x'.repeat(1000),
      'raw.csv': '1,2\n',
      'keep.csv': 'a\n',
      '.git/HEAD': 'ref\n',
      'lib/__pycache__/util.cpython-311.pyc': 'bytecode',
      '.venv/bin/python': '#!',
    });
    const after = await packCode(a, join(out, '2.tar'));
    expect(await tarNames(join(out, '2.tar'))).toEqual([
      '.sluiceignore',
      'keep.csv',
      'lib/',
      'lib/deep/',
      'lib/deep/more.py',
      'lib/util.py',
      'requirements.txt',
      'train.py',
    ]);
    await rm(join(a, 'raw.csv'));
    await writeFile(join(a, 'data/big.bin'), 'changed');
    expect((await packCode(a, join(out, '3.tar'))).digest).toBe(after.digest);
    expect(after.digest).not.toBe(before.digest);
  });

  it('refuses a package over the limit, naming its largest files', async () => {
    const a = await tempDir();
    await writeTree(a, { 'model.bin': 'x'.repeat(4096), 'train.py': 'pass\n' });
    const err = await listCode(a, 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodePackageError);
    expect((err as Error).message).toMatch(/over the 0\.0 MiB limit; largest: model\.bin .*\.sluiceignore/);
  });

  it('refuses symlinks and a missing directory with a clear message', async () => {
    const a = await tempDir();
    await writeTree(a, { 'train.py': 'pass\n' });
    await symlink('/etc/passwd', join(a, 'link'));
    await expect(listCode(a)).rejects.toThrow(/link is not a regular file or directory/);
    await expect(listCode(join(a, 'nope'))).rejects.toThrow(/does not exist/);
  });
});
