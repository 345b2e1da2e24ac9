import { EmbeddedPostgresUnreachable } from '@/db/embedded-as-root';
import { SettingError } from './settings';

/** Runs a process's start-up; a SettingError (or an embedded server that cannot start here) ends it with its one line instead of a stack trace. */
export async function startingProcess<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof SettingError || error instanceof EmbeddedPostgresUnreachable) {
      console.error(`[${name}] ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

/** Stops gracefully on the first SIGINT or SIGTERM, then exits 0. */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}
