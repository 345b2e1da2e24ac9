import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('postgres.js patch', () => {
  it('is applied to the installed driver (the postinstall script does it on npm ci)', () => {
    const check = spawnSync(process.execPath, ['patches/postgres-driver.mjs', '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('is written for the exact postgres version package.json pins, and refuses any other with one line', () => {
    const pinned = (JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }).dependencies.postgres;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync('patches/postgres-driver.mjs', 'utf8')).toContain(`const PATCHED_VERSION = '${pinned}';`);

    const project = mkdtempSync(path.join(os.tmpdir(), 'conveyor-patch-'));
    try {
      mkdirSync(path.join(project, 'patches'));
      mkdirSync(path.join(project, 'node_modules/postgres'), { recursive: true });
      copyFileSync('patches/postgres-driver.mjs', path.join(project, 'patches/postgres-driver.mjs'));
      writeFileSync(path.join(project, 'node_modules/postgres/package.json'), JSON.stringify({ name: 'postgres', version: '3.5.0' }));
      const install = spawnSync(process.execPath, [path.join(project, 'patches/postgres-driver.mjs')], { encoding: 'utf8' });
      expect(install.status).toBe(1);
      expect(install.stderr.trim()).toBe(
        `postgres.js patch: postgres 3.5.0 is installed, but patches/postgres-driver.mjs was written for ${pinned}. Check whether porsager/postgres#1208 is fixed in it, then update or remove the patch.`,
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
