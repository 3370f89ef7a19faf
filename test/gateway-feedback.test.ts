import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './support/api.js';
import { startModelServer, type ModelServer } from './support/gateway-model-server.js';
import { waitFor } from './support/wait.js';

describe('feedback on the gateway: live accuracy per version', () => {
  // Every request sampled, and a fast flush, so that sampled feedback and flushed accuracy show quickly.
  const api = useApi({ env: { SLUICE_GATEWAY_FLUSH_MS: '200', SLUICE_GATEWAY_SAMPLE_RATE: '1' } });
  let v1: ModelServer;
  let v2: ModelServer;

  beforeAll(async () => {
    // Version 1 predicts the class "a" for every row, version 2 "b".
    v1 = await startModelServer(1, () => 'a');
    v2 = await startModelServer(2, () => 'b');
    api.h.onClose(() => v1.close());
    api.h.onClose(() => v2.close());
  });

  const routeTo = async (version: 1 | 2) => {
    await api.h.db.deleteFrom('deployment_routes').where('deployment', '=', 'iris').execute();
    await api.h.db
      .insertInto('deployment_routes')
      .values({ deployment: 'iris', model: 'iris', version, url: (version === 1 ? v1 : v2).url, weight: 100 })
      .execute();
  };
  const predict = async (rows: object[]) => {
    const res = await api.call('viewer', { method: 'POST', url: '/v1/deployments/iris/predict', payload: { rows } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { requestId: string; version: number };
  };
  const feedback = (payload: object, deployment = 'iris') =>
    api.call('viewer', { method: 'POST', url: `/v1/deployments/${deployment}/feedback`, payload });
  const accuracy = async (query = '') =>
    (await api.call('viewer', { method: 'GET', url: `/v1/deployments/iris/accuracy${query}` })).json() as {
      versions: { version: number; labelled: number; correct: number; accuracy: number | null }[];
    };

  it('scores labels against the version that served, per version', async () => {
    await routeTo(1);
    const one = await predict([{ x: 1 }]);
    const three = await predict([{ x: 1 }, { x: 2 }, { x: 3 }]);
    expect((await feedback({ requestId: one.requestId, label: 'a' })).json()).toEqual({
      requestId: one.requestId,
      version: 1,
      labelled: 1,
      correct: 1,
    });
    expect((await feedback({ requestId: three.requestId, labels: ['a', 'b', 'a'] })).json()).toMatchObject({
      labelled: 3,
      correct: 2,
    });
    await routeTo(2);
    const b = await predict([{ x: 1 }, { x: 2 }]);
    expect(b.version).toBe(2);
    expect((await feedback({ requestId: b.requestId, labels: ['a', 'a'] })).json()).toMatchObject({ correct: 0 });
    expect((await accuracy()).versions).toEqual([
      { version: 1, labelled: 4, correct: 3, accuracy: 0.75 },
      { version: 2, labelled: 2, correct: 0, accuracy: 0 },
    ]);
    const metrics = (await api.call('viewer', { method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^sluice_gateway_accuracy\{deployment="iris",version="1"\} 0\.75$/m);
    // Flushed to gateway_accuracy: the same numbers, read back from the database alone.
    await waitFor('accuracy to be flushed', async () => {
      const rows = await api.h.db.selectFrom('gateway_accuracy').selectAll().where('deployment', '=', 'iris').execute();
      return rows.reduce((n, r) => n + r.labelled, 0) === 6;
    });
    expect(
      (await accuracy(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).versions,
    ).toEqual([]);
  });

  it('answers 404 for an unknown request id, 409 for a second feedback, 400 for labels that do not fit', async () => {
    await routeTo(1);
    const unknown = expectProblem(await feedback({ requestId: 'never-made', label: 'a' }), 404);
    expect(unknown.detail).toMatch(/no prediction with request id "never-made" is known for deployment "iris"/);
    const p = await predict([{ x: 1 }, { x: 2 }]);
    expectProblem(await feedback({ requestId: p.requestId, label: 'a' }), 400, 'body.label');
    expectProblem(await feedback({ requestId: p.requestId, labels: ['a'] }), 400, 'body.labels');
    expectProblem(await feedback({ requestId: p.requestId }), 400, 'body.label');
    expectProblem(await feedback({ requestId: p.requestId, labels: ['a', 'a'] }, 'other'), 404);
    expect((await feedback({ requestId: p.requestId, labels: ['a', 'a'] })).statusCode).toBe(200);
    expect(expectProblem(await feedback({ requestId: p.requestId, labels: ['a', 'a'] }), 409).detail).toMatch(
      /already scored/,
    );
  });

  it('scores feedback for a sampled request from the request log when this process no longer remembers it', async () => {
    await routeTo(1);
    const p = await predict([{ x: 7 }]);
    const logged = await waitFor('the sampled request to be logged', () =>
      api.h.db.selectFrom('gateway_requests').selectAll().where('request_id', '=', p.requestId).executeTakeFirst(),
    );
    expect(logged).toMatchObject({
      deployment: 'iris',
      model: 'iris',
      version: 1,
      rows: [{ x: 7 }],
      predictions: ['a'],
    });
    // Another API process over the same database never saw the request: it scores it from the log.
    const { createApi } = await import('./support/api.js');
    const second = await createApi(api.h, { SLUICE_GATEWAY_SAMPLE_RATE: '0' });
    const res = await second.call('viewer', {
      method: 'POST',
      url: '/v1/deployments/iris/feedback',
      payload: { requestId: p.requestId, label: 'a' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 1, labelled: 1, correct: 1 });
  });
  it('serves rows carrying U+0000: scored from memory, left out of the sampled log, which keeps the others', async () => {
    await routeTo(1);
    const nul = await predict([{ x: 'a\u0000b' }]);
    const plain = await predict([{ x: 5 }]);
    await waitFor(
      'the plain request in the sampled log',
      () =>
        api.h.db
          .selectFrom('gateway_requests')
          .select('request_id')
          .where('request_id', '=', plain.requestId)
          .executeTakeFirst(),
      30_000,
    );
    const stored = await api.h.db
      .selectFrom('gateway_requests')
      .select('request_id')
      .where('request_id', '=', nul.requestId)
      .execute();
    expect(stored).toEqual([]);
    expect((await feedback({ requestId: nul.requestId, label: 'a' })).json()).toMatchObject({ version: 1, correct: 1 });
  });
});
