import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the embedded stack', () => {
    const c = loadConfig({});
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 8001 });
    expect(c.dataDir).toMatch(/\.sluice$/);
    expect(c.temporal.address).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.artifacts).toEqual({ kind: 'local', root: `${c.dataDir}/artifacts` });
    expect(c.executor.kind).toBe('auto');
    expect(Object.isFrozen(c)).toBe(true);
    for (const part of [c.api, c.temporal, c.artifacts, c.executor]) expect(Object.isFrozen(part)).toBe(true);
  });

  it('reads production settings', () => {
    const c = loadConfig({
      SLUICE_PORT: '9000',
      SLUICE_TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://u:p@db:5432/sluice',
      SLUICE_S3_BUCKET: 'models',
      SLUICE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SLUICE_S3_ACCESS_KEY_ID: 'a',
      SLUICE_S3_SECRET_ACCESS_KEY: 'b',
      SLUICE_EXECUTOR: 'docker',
      UNRELATED: 'x',
    });
    expect(c.api.port).toBe(9000);
    expect(c.temporal.address).toBe('temporal:7233');
    expect(c.databaseUrl).toBe('postgres://u:p@db:5432/sluice');
    expect(c.artifacts).toMatchObject({ kind: 's3', bucket: 'models', forcePathStyle: true, region: 'us-east-1' });
    expect(c.executor.kind).toBe('docker');
  });

  it('lets ingest read the data dir imports/ by default, and only the configured roots and hosts otherwise', () => {
    const c = loadConfig({ SLUICE_DATA_DIR: '/srv/sluice' });
    expect(c.ingest).toEqual({ roots: ['/srv/sluice/imports'], hosts: [] });
    const set = loadConfig({
      SLUICE_INGEST_ROOTS: '/data/a:/data/b/',
      SLUICE_INGEST_HOSTS: 'Example.com, 127.0.0.1:8080',
    });
    expect(set.ingest).toEqual({ roots: ['/data/a', '/data/b'], hosts: ['example.com', '127.0.0.1:8080'] });
    expect(loadConfig({ SLUICE_INGEST_ROOTS: 'none' }).ingest.roots).toEqual([]);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ SLUICE_PORT: '' }).api.port).toBe(8001);
  });

  it.each([
    ['SLUICE_PORT', 'eighty', 'SLUICE_PORT'],
    ['SLUICE_PORT', '70000', 'SLUICE_PORT'],
    ['DATABASE_URL', 'mysql://x/y', 'postgres://'],
    ['SLUICE_EXECUTOR', 'kvm', 'SLUICE_EXECUTOR'],
    ['SLUICE_S3_ENDPOINT', 'not a url', 'SLUICE_S3_ENDPOINT'],
  ])('rejects %s=%s naming the variable', (name, value, fragment) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(fragment);
  });

  it('requires the S3 secret with the key id', () => {
    expect(() => loadConfig({ SLUICE_S3_BUCKET: 'b', SLUICE_S3_ACCESS_KEY_ID: 'a' })).toThrow(
      /SLUICE_S3_SECRET_ACCESS_KEY/,
    );
  });
});
