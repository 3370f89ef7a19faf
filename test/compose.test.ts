import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// docker-compose.yml cannot be brought up here (its images come from public registries), so what can be
// checked without them is checked on the file: health checks, start order on health, the env file, ports.

const root = new URL('..', import.meta.url);
const read = (f: string) => readFile(new URL(f, root), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  command?: string[];
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  environment?: Record<string, string>;
}

describe('docker-compose.yml', () => {
  it('every long-running service is health-checked and everything waits on health or completion', async () => {
    const compose = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
    const dockerfile = await read('Dockerfile');
    const services = compose.services;
    const sluiceImage = (s: Service) => s.build !== undefined || s.image === 'sluice:local';
    const longRunning = Object.entries(services).filter(([, s]) => s.restart === 'unless-stopped');
    const oneShot = new Set(Object.keys(services).filter((n) => services[n]!.restart === 'on-failure'));
    expect(longRunning.map(([n]) => n)).toEqual(
      expect.arrayContaining(['postgres', 'minio', 'temporal', 'temporal-ui', 'api', 'worker']),
    );
    for (const [name, s] of longRunning) {
      // The sluice services get theirs from the image's HEALTHCHECK.
      if (sluiceImage(s)) expect(dockerfile, name).toMatch(/^HEALTHCHECK .*image-main\.js", "health"\]/m);
      else if (name !== 'temporal-ui') expect(s.healthcheck, `${name} has a healthcheck`).toBeDefined();
    }
    for (const [name, s] of Object.entries(services)) {
      if (!s.depends_on) continue;
      expect(Array.isArray(s.depends_on), `${name}: depends_on names conditions`).toBe(false);
      for (const [dep, { condition }] of Object.entries(s.depends_on as Record<string, { condition: string }>)) {
        expect(services[dep], `${name} depends on an existing service ${dep}`).toBeDefined();
        const want = oneShot.has(dep) ? 'service_completed_successfully' : 'service_healthy';
        expect(condition, `${name} → ${dep}`).toBe(want);
        if (want === 'service_healthy' && !sluiceImage(services[dep]!))
          expect(services[dep]!.healthcheck, `${dep} has the healthcheck ${name} waits for`).toBeDefined();
      }
    }
    // The image's roles, as workers/image-main.ts knows them; the health check knows which role it checks.
    expect(services.api!.command).toEqual(['api']);
    expect(services.worker!.command).toEqual(['worker']);
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.api!.environment?.SLUICE_ROLE).toBe('api');
    expect(services.worker!.environment?.SLUICE_ROLE).toBe('worker');
    // Published ports stay on loopback; a reverse proxy with TLS fronts them.
    for (const [name, s] of Object.entries(services))
      for (const p of s.ports ?? []) expect(p, `${name} publishes on 127.0.0.1`).toMatch(/^127\.0\.0\.1:/);
  });

  it('.env.example defines every variable the file requires and every default it offers', async () => {
    const text = await read('docker-compose.yml');
    const example = await read('.env.example');
    const defined = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::[-?])/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(5);
    for (const v of used) expect(defined.has(v), `.env.example defines ${v}`).toBe(true);
  });
});
