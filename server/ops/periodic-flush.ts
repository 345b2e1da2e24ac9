/**
 * Runs `flush` every `everyMs`, one at a time (a slow write is never overlapped by the next),
 * off the process's exit path (the timer does not keep it alive). `stop` waits for the write
 * in progress, then writes once more, so what was counted since the last write is not lost.
 * For the in-memory counters each process adds to a table (latency, third-party calls, sale
 * attempts); a failed write goes to `onError` and the next one goes on.
 */
export function startPeriodicFlush(flush: () => Promise<void>, options: { everyMs: number; onError?: (error: unknown) => void }) {
  const onError = options.onError ?? (() => {});
  let writing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    writing = writing.then(flush).catch(onError);
  }, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await writing;
      await flush().catch(onError);
    },
  };
}
