import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The engine's port holds because this test fails on an import that crosses it:
 * - outside server/pipeline/, nothing imports a module of the engine other than its index;
 * - outside server/pipeline/ and db/, nothing imports the engine's tables (db/schema/pipeline.ts)
 *   from the schema, which is how no domain file comes to read an engine table.
 */

const root = path.resolve(import.meta.dirname, '..');
const skippedDirectories = new Set(['node_modules', '.next', '.data', '.git', 'test-results', 'playwright-report']);
const sourceFile = /\.(ts|tsx|mts|cts)$/;

const PIPELINE = 'server/pipeline';
const PIPELINE_SCHEMA = 'db/schema/pipeline';
const SCHEMA_MODULES = new Set(['db/schema', 'db/schema/index']);

export interface ImportSite {
  specifier: string;
  /** Named bindings (`a`, `b` of `import { a, type b as c }`), or `*` for a namespace import; empty for side effects. */
  names: string[];
  line: number;
}

export interface BoundaryViolation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

// `import x, { a } from '...'`, `import type { a } from '...'`, `export { a } from '...'`, `export * from '...'`:
// the clause holds no quote or semicolon, so a match never runs from one statement into the next.
const fromClause = /\b(?:import|export)\s+(?:type\s+)?([^'";]*?)\s*\bfrom\s*['"]([^'"]+)['"]/g;
// `import '...'`, `import('...')`, `require('...')`, `vi.mock('...')`.
const bareSpecifier = /\b(?:import\s*\(\s*|import\s+|require\s*\(\s*|vi\.mock\s*\(\s*)['"]([^'"]+)['"]/g;

export function findImports(source: string): ImportSite[] {
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  const sites: ImportSite[] = [];
  for (const match of source.matchAll(fromClause)) {
    sites.push({ specifier: match[2]!, names: bindingNames(match[1]!), line: lineOf(match.index) });
  }
  for (const match of source.matchAll(bareSpecifier)) {
    sites.push({ specifier: match[1]!, names: ['*'], line: lineOf(match.index) });
  }
  return sites;
}

function bindingNames(clause: string): string[] {
  if (/\*/.test(clause)) return ['*'];
  const braces = clause.match(/\{([^}]*)\}/);
  if (!braces) return clause.trim() ? ['default'] : [];
  return braces[1]!
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim())
    .filter(Boolean);
}

/** The repository-relative module an import points at (no extension), or null for a package. */
export function resolveModule(file: string, specifier: string): string | null {
  let target: string;
  if (specifier.startsWith('@/')) target = specifier.slice(2);
  else if (specifier.startsWith('.')) target = path.posix.join(path.posix.dirname(file), specifier);
  else return null;
  return path.posix.normalize(target).replace(/\.(ts|tsx|js|mjs)$/, '').replace(/\/$/, '');
}

/** The names db/schema/pipeline.ts exports: the engine's tables, enum and row types. */
export function engineSchemaNames(schemaSource: string): Set<string> {
  return new Set([...schemaSource.matchAll(/^export\s+(?:const|type|interface|enum)\s+(\w+)/gm)].map((match) => match[1]!));
}

export function checkFile(file: string, source: string, engineNames: Set<string>): BoundaryViolation[] {
  const insideEngine = file.startsWith(`${PIPELINE}/`);
  const mayReadEngineTables = insideEngine || file.startsWith('db/');
  const violations: BoundaryViolation[] = [];
  for (const site of findImports(source)) {
    const target = resolveModule(file, site.specifier);
    if (target === null) continue;
    const at = { file, line: site.line, specifier: site.specifier };
    if (!insideEngine && target.startsWith(`${PIPELINE}/`) && target !== `${PIPELINE}/index`) {
      violations.push({ ...at, rule: `imports inside the engine; import '@/${PIPELINE}' (its port) instead` });
    }
    if (mayReadEngineTables) continue;
    if (target === PIPELINE_SCHEMA) {
      violations.push({ ...at, rule: 'imports the engine tables; ask the pipeline port for engine state' });
    } else if (SCHEMA_MODULES.has(target)) {
      const engineTables = site.names.filter((name) => name === '*' || engineNames.has(name));
      if (engineTables.length > 0) {
        violations.push({ ...at, rule: `imports engine tables (${engineTables.join(', ')}); ask the pipeline port for engine state` });
      }
    }
  }
  return violations.sort((a, b) => a.line - b.line);
}

function sourceFiles(directory = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirectories.has(entry.name)) files.push(...sourceFiles(full));
    } else if (sourceFile.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      files.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  return files;
}

const engineNames = engineSchemaNames(readFileSync(path.join(root, `${PIPELINE_SCHEMA}.ts`), 'utf8'));

describe('import boundaries', () => {
  it('finds the engine tables in the schema', () => {
    for (const name of ['outbox', 'events', 'retries', 'deadLetters', 'processedEvents', 'consumerOffsets', 'lagSamples']) {
      expect(engineNames).toContain(name);
    }
  });

  it('reports an import inside the engine, relative or aliased, and engine tables from the schema', () => {
    // Specifiers assembled here so this file's own source holds none of them.
    const engine = (module: string) => `@/${PIPELINE}/${module}`;
    const schema = '@/db/schema';
    const source = [
      `import { getLag } from '${engine('lag')}';`,
      `import type { PipelineEvent } from '../pipeline/types';`,
      `const trace = await import('${engine('key-trace')}');`,
      `export { traceKey } from '${engine('key-trace')}';`,
      `import { appendEvent } from '@/${PIPELINE}';`,
      `import { orders, type DeadLetterRow, retries } from '${schema}';`,
      `import { outbox } from '@/${PIPELINE_SCHEMA}';`,
      `import * as schema from '${schema}';`,
      `import { orders } from '${schema}';`,
    ].join('\n');
    const found = checkFile('server/orders/example.ts', source, engineNames).map(({ line, rule }) => `${line}: ${rule.split(';')[0]}`);
    expect(found).toEqual([
      '1: imports inside the engine',
      '2: imports inside the engine',
      '3: imports inside the engine',
      '4: imports inside the engine',
      '6: imports engine tables (DeadLetterRow, retries)',
      '7: imports the engine tables',
      '8: imports engine tables (*)',
    ]);
    expect(checkFile('server/pipeline/lag.ts', source, engineNames)).toEqual([]);
    expect(checkFile('db/seed.ts', `import { outbox } from './schema';`, engineNames)).toEqual([]);
  });

  it('no file outside the engine reaches inside it or reads its tables', () => {
    const files = sourceFiles();
    expect(files).toContain('server/pipeline/index.ts');
    const violations = files.flatMap((file) => checkFile(file, readFileSync(path.join(root, file), 'utf8'), engineNames));
    expect(violations.map((violation) => `${violation.file}:${violation.line} imports '${violation.specifier}': ${violation.rule}`)).toEqual([]);
  });
});
