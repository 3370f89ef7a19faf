import { describe, expect, it } from 'vitest';
import { cliEnv } from './env.js';

describe('the CLI environment', () => {
  it('defaults to the embedded stack and treats empty variables as unset', () => {
    expect(cliEnv({ SLUICE_API_URL: '', SLUICE_API_KEY: '', PATH: '/bin' })).toEqual({
      SLUICE_API_URL: 'http://127.0.0.1:8001',
      SLUICE_DATA_DIR: './.sluice',
    });
  });

  it('rejects a malformed API URL, naming the variable', () => {
    expect(() => cliEnv({ SLUICE_API_URL: 'localhost:8001' })).toThrow(/SLUICE_API_URL/);
  });
});
