/**
 * drizzle's postgres-js driver turns off the client's timestamp parsing, so raw `execute`
 * results carry timestamps as strings. Read-side rows promise Dates; this keeps that promise.
 */
export function parseTimestamps<T extends Record<string, unknown>>(rows: readonly T[], keys: readonly (keyof T)[]): T[] {
  return rows.map((row) => {
    const parsed: Record<string, unknown> = { ...row };
    for (const key of keys) {
      const value = row[key];
      if (typeof value === 'string') parsed[key as string] = new Date(value);
    }
    return parsed as T;
  });
}
