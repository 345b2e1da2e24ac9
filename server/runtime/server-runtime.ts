import { getDatabase } from '@/db/client';

const globalForRuntime = globalThis as unknown as { conveyorRuntime?: Promise<void> };

/**
 * What the console server runs besides answering requests. The launcher has already
 * provided and migrated the database; here the in-process pipeline starts unless PIPELINE=off.
 */
export function startServerRuntime(): Promise<void> {
  return (globalForRuntime.conveyorRuntime ??= (async () => {
    getDatabase();
  })());
}
