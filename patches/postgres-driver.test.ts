import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('postgres.js patch', () => {
  it('is applied to the installed driver (the postinstall script does it on npm ci)', () => {
    const check = spawnSync(process.execPath, ['patches/postgres-driver.mjs', '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
