import postgres, { type Sql } from 'postgres';

/**
 * A one-connection client on the same server, database and application name as `pool`, for
 * state that lives in a session (advisory locks). Use it instead of `pool.reserve()`: postgres.js
 * 3.4.9 can lose a reservation made while the server restarts (reserve() never settles) and, but
 * for patches/postgres-driver.mjs, writes to a reserved connection whose backend died. This
 * client reconnects by itself and calls `onClose` synchronously each time its connection closes,
 * before any reconnect, so a caller can tell that session state (a lock) went with it.
 * The connection never idles out and is never recycled; `end()` closes it.
 */
export function openDedicatedSession(pool: Sql, options: { onClose?: () => void } = {}): Sql {
  // Parsed options pass through postgres() as they are (it recognises them by `shared`), as
  // postgres.js itself does for its LISTEN connection.
  const parsed = {
    ...pool.options,
    max: 1,
    idle_timeout: null,
    max_lifetime: null,
    onclose: () => options.onClose?.(),
  };
  return postgres(parsed as unknown as postgres.Options<Record<string, postgres.PostgresType>>);
}
