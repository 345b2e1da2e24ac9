import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRepositorySecret, REPOSITORY_SECRET_VALUES } from './repository-secrets';

/** A quoted literal given to a variable named *_SECRET or ADMIN_PASSWORD, by `=`, `:` or `??`. */
const SECRET_LITERAL = /\b([A-Z][A-Z_]*_SECRET|ADMIN_PASSWORD)['"]?\s*(?:=|:|\?\?)\s*(['"`])([^'"`$]+)\2/g;

describe('the values written in the repository', () => {
  it('include every literal the code, tests and docs give to a secret variable', () => {
    const files = spawnSync('git', ['ls-files', '*.ts', '*.tsx', '*.mjs', '*.md', '*.json', '*.yml'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const file of files) {
      for (const [, variable, , value] of readFileSync(file, 'utf8').matchAll(SECRET_LITERAL)) {
        if (!isRepositorySecret(value!)) missing.push(`${file}: ${variable} = '${value}'`);
      }
    }
    expect(missing, 'add these to REPOSITORY_SECRET_VALUES').toEqual([]);
  });

  it('are recognised however they are padded, and nothing else is', () => {
    expect(isRepositorySecret(' conveyor-dev-payment-secret\n')).toBe(true);
    expect(isRepositorySecret('admin-demo-pass')).toBe(true);
    expect(isRepositorySecret('a-secret-nobody-committed-4b1f0c2e9d')).toBe(false);
    expect(REPOSITORY_SECRET_VALUES.every((value) => value.length > 0)).toBe(true);
  });
});
