import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const absolute = path.join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file) && !file.split(path.sep).includes('node_modules'))
    .map((file) => path.join(dir, file).split(path.sep).join('/'));
}

/** The specifiers a module imports at run time: `import type`, `export type` and all-type named imports are erased, so they are left out. */
const importsByFile = new Map<string, string[]>();

function runtimeImports(file: string): string[] {
  const cached = importsByFile.get(file);
  if (cached) return cached;
  const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((element) => element.isTypeOnly)));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  importsByFile.set(file, found);
  return found;
}

/** The repository path a local specifier points at (`@/…` or relative), before choosing a file; null for a package. */
function localTarget(specifier: string, from: string): string | null {
  if (specifier.startsWith('@/')) return path.posix.normalize(specifier.slice(2));
  if (specifier.startsWith('.')) return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return null;
}

function resolveFile(target: string): string | null {
  for (const candidate of [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`, `${target}/index.tsx`]) {
    const absolute = path.join(root, candidate);
    if (existsSync(absolute) && statSync(absolute).isFile()) return candidate;
  }
  return null;
}

const isNodeBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
const isServerPath = (target: string) => /^(db|server)(\/|$)/.test(target);

/** Why a client module may not import `specifier`, or null when it may. */
export function clientImportProblem(specifier: string, from: string): string | null {
  if (isNodeBuiltin(specifier)) return 'a Node built-in';
  const target = localTarget(specifier, from);
  if (target !== null && isServerPath(target)) return 'server code (db/ or server/)';
  return null;
}

function isClientFile(file: string): boolean {
  if (file.startsWith('components/') || file.includes('/_components/')) return true;
  if (!file.startsWith('app/') || !file.endsWith('.tsx')) return false;
  const [first] = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest).statements;
  return !!first && ts.isExpressionStatement(first) && ts.isStringLiteral(first.expression) && first.expression.text === 'use client';
}

/**
 * Follows the entries' run-time imports through the repository's own files (packages are not
 * followed) and reports, once each, every import `problem` refuses, with a chain that reaches it.
 */
function findImports(entries: string[], problem: (specifier: string, from: string) => string | null): string[] {
  const found = new Map<string, string>();
  for (const entry of entries) {
    const seen = new Set([entry]);
    const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [entry] }];
    while (queue.length > 0) {
      const { file, chain } = queue.shift()!;
      for (const specifier of runtimeImports(file)) {
        const why = problem(specifier, file);
        const key = `${file} imports '${specifier}'`;
        if (why) {
          if (!found.has(key)) found.set(key, `${key}, ${why}${chain.length > 1 ? ` (reached from ${chain.join(' → ')})` : ''}`);
          continue;
        }
        const target = localTarget(specifier, file);
        const next = target === null ? null : resolveFile(target);
        if (next && !seen.has(next)) {
          seen.add(next);
          queue.push({ file: next, chain: [...chain, next] });
        }
      }
    }
  }
  return [...found.values()];
}

describe('client components', () => {
  const clientFiles = [...sourceFiles('components'), ...sourceFiles('app')].filter(isClientFile);

  it('are found: components/, _components/ and app files marked use client', () => {
    expect(clientFiles).toContain('components/actor.tsx');
    expect(clientFiles).toContain('app/(console)/orders/_components/order-search.tsx');
    expect(clientFiles.some((file) => !file.startsWith('components/') && !file.includes('/_components/'))).toBe(true);
  });

  it('import nothing from db/ or server/, nor Node built-ins, at run time, directly or through other modules', () => {
    expect(findImports(clientFiles, clientImportProblem)).toEqual([]);
  });

  it('a forbidden import is named with its file', () => {
    expect(clientImportProblem('@/db/schema', 'components/actor.tsx')).toMatch(/server code/);
    expect(clientImportProblem('../../../../server/auth/roles', 'app/(console)/users/_components/users-table.tsx')).toMatch(/server code/);
    expect(clientImportProblem('node:crypto', 'components/actor.tsx')).toMatch(/Node built-in/);
    expect(clientImportProblem('fs', 'components/actor.tsx')).toMatch(/Node built-in/);
    expect(clientImportProblem('@/shared/roles', 'components/actor.tsx')).toBeNull();
    expect(clientImportProblem('@/server-side-looking/name', 'components/actor.tsx')).toBeNull();
  });
});

describe("the 'server-only' marker", () => {
  // It throws outside Next.js's react-server condition, so whatever a plain Node process loads must never reach it.
  const nodeEntries = [
    ...sourceFiles('server/cli'),
    ...sourceFiles('server/http'),
    ...sourceFiles('server/runtime'),
    ...sourceFiles('server/consumers'),
    ...sourceFiles('server/pipeline'),
    ...sourceFiles('db'),
    ...sourceFiles('bench'),
    ...sourceFiles('e2e'),
  ].filter((file) => !file.endsWith('.test.ts'));
  const serverOnly = (specifier: string) => (specifier === 'server-only' ? "which throws outside Next.js's server components" : null);

  it('is imported by the modules only the Next.js server loads', () => {
    for (const file of ['server/trpc/init.ts', 'server/trpc/context.ts', 'server/trpc/root.ts', 'server/auth/current-actor.ts']) {
      expect(runtimeImports(file), file).toContain('server-only');
    }
  });

  it('is never reached from what the CLI, worker, runtime, benchmarks or Playwright load', () => {
    expect(nodeEntries.length).toBeGreaterThan(10);
    expect(findImports(nodeEntries, serverOnly)).toEqual([]);
  });
});
