/**
 * Starts `total` operations open-loop at `rate` per second: on schedule however long the
 * answers take, so a slow server cannot slow the offered rate down. Resolves once every
 * operation has settled; rejects if one rejects.
 */
export async function startAtFixedRate(rate: number, total: number, start: (index: number) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  let begun = 0;
  while (begun < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1_000) * rate));
    for (; begun < due; begun++) {
      const operation = start(begun).finally(() => inFlight.delete(operation));
      inFlight.add(operation);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
}
