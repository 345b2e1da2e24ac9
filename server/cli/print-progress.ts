/**
 * Runs a long phase of a command and prints a line every few seconds while it runs
 * (PROGRESS_EVERY_SECONDS, default 5), so a command that takes minutes never goes silent:
 * `<label>: 15 s, <report>`, then `<label>: done in 23.4 s`. A report that fails is shown
 * as such; it never stops the work.
 */
export async function withProgress<T>(
  label: string,
  work: () => Promise<T>,
  options: { report?: () => string | Promise<string>; everyMs?: number; log?: (line: string) => void; now?: () => number } = {},
): Promise<T> {
  const everyMs = options.everyMs ?? (Number(process.env.PROGRESS_EVERY_SECONDS) || 5) * 1_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => performance.now());
  const started = now();
  const seconds = () => (now() - started) / 1_000;
  let reporting = Promise.resolve();
  const timer = setInterval(() => {
    reporting = reporting.then(async () => {
      const report = options.report ? await Promise.resolve().then(options.report).catch((error: unknown) => `progress unknown (${error instanceof Error ? error.message : String(error)})`) : null;
      log(`${label}: ${Math.round(seconds())} s${report ? `, ${report}` : ''}`);
    });
  }, everyMs);
  timer.unref();
  try {
    const result = await work();
    clearInterval(timer);
    await reporting;
    log(`${label}: done in ${seconds().toFixed(1)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}
