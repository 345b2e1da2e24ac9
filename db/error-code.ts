/** An error and the errors it wraps: drizzle wraps the driver's error in its own, as `cause`. */
export function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) yield current;
}

/** Whether an error, or one it wraps, carries this code (a SQLSTATE such as '40P01', or a driver or socket code). */
export function hasErrorCode(error: unknown, codes: ReadonlySet<string> | string): boolean {
  for (const current of causes(error)) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (typeof codes === 'string' ? code === codes : codes.has(code))) return true;
  }
  return false;
}
