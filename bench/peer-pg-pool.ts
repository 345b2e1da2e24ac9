import pg from 'pg';

/**
 * A node-postgres pool for a peer's handlers and producers, its connections opened before the
 * clock starts (as ours are by the time every partition is leased), with the error listeners
 * graphile-worker asks for: a connection dropped while idle is reported, not thrown.
 */
export async function openPeerPool(connectionString: string, max: number): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString, max });
  const report = (error: Error) => console.error('[bench pg pool]', error.message);
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  const clients = await Promise.all(Array.from({ length: max }, () => pool.connect()));
  for (const client of clients) client.release();
  return pool;
}
