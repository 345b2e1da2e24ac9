import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('committed migrations', () => {
  it('match the drizzle schema (run `npx drizzle-kit generate` after changing db/schema)', () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'conveyor-migrations-'));
    try {
      cpSync(path.resolve('db/migrations'), copy, { recursive: true });
      const before = readdirSync(copy).sort();
      const output = execFileSync(
        path.resolve('node_modules/.bin/drizzle-kit'),
        ['generate', '--dialect', 'postgresql', '--schema', './db/schema/index.ts', '--out', copy, '--casing', 'snake_case'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(readdirSync(copy).sort(), output).toEqual(before);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});
