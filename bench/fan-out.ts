/**
 * The work every system in `bench:pipeline` does, and the check that it did it: each event is
 * delivered once to each of five groups, and each delivery writes one `bench_effects` row
 * (group, event number, append→handled latency) to PostgreSQL.
 */
import postgres from 'postgres';
import { withProgress } from '@/server/cli/print-progress';

export const GROUPS = ['points', 'coupons', 'notifications', 'fulfilment', 'analytics'] as const;

/** Events are appended (or enqueued) in batches of this many, in one transaction or call each. */
export const APPEND_BATCH = 500;

/**
 * No primary key or unique index: a constraint would turn a peer's duplicate delivery into a
 * failed job and hide it; `checkEffects` counts duplicates instead. The column `event` is the
 * event's number in the run (0…events−1), the same on every system.
 */
export const EFFECTS_TABLE = 'create table bench_effects ("group" text not null, event int not null, latency_ms double precision not null)';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  deliveries: number;
}

export async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 600_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`benchmark run timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls the row count (every 50 ms, a light query beside the run) until every delivery has written its row. */
export async function untilEveryRowWritten(databaseUrl: string, events: number, label: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const rows = async () => (await sql<{ rows: number }[]>`select count(*)::int as rows from bench_effects`)[0]!.rows;
  const expected = events * GROUPS.length;
  try {
    await withProgress(label, () => waitUntil(async () => (await rows()) >= expected, `${label}: ${expected.toLocaleString('en')} rows`, 600_000, 50), {
      report: async () => `${(await rows()).toLocaleString('en')} of ${expected.toLocaleString('en')} rows`,
    });
  } finally {
    await sql.end();
  }
}

/**
 * Fails loudly unless the run did exactly the work: one row per group per event, for every
 * event 0…events−1, in every group, nothing twice. A peer that lost or repeated a delivery
 * must not get a figure.
 */
export async function checkEffects(databaseUrl: string, events: number, system: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const perGroup = await sql<{ group: string; rows: number; distinct_events: number; first: number; last: number }[]>`
      select "group", count(*)::int as rows, count(distinct event)::int as distinct_events, min(event) as first, max(event) as last
      from bench_effects group by "group" order by "group"`;
    const problems: string[] = [];
    for (const group of GROUPS) {
      const row = perGroup.find((candidate) => candidate.group === group);
      if (!row) {
        problems.push(`${group}: no rows`);
        continue;
      }
      if (row.distinct_events !== events || row.first !== 0 || row.last !== events - 1) {
        problems.push(`${group}: ${row.distinct_events.toLocaleString('en')} of ${events.toLocaleString('en')} events handled`);
      }
      if (row.rows !== row.distinct_events) problems.push(`${group}: ${(row.rows - row.distinct_events).toLocaleString('en')} events handled more than once`);
    }
    for (const row of perGroup) if (!(GROUPS as readonly string[]).includes(row.group)) problems.push(`rows for an unknown group "${row.group}"`);
    if (problems.length > 0) throw new Error(`${system} did not do the work it is measured on: ${problems.join('; ')}`);
  } finally {
    await sql.end();
  }
}

/**
 * Append→handled percentiles from the rows, leaving out the first `warmUpEvents` events (JIT
 * and connection warm-up): handlers in any process write their latency beside their effect.
 */
export async function latencyFromEffects(databaseUrl: string, warmUpEvents: number): Promise<Latency> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ p50: number; p99: number; max: number; deliveries: number }[]>`
      select percentile_disc(0.5) within group (order by latency_ms) as p50,
             percentile_disc(0.99) within group (order by latency_ms) as p99,
             max(latency_ms) as max, count(*)::int as deliveries
      from bench_effects where event >= ${warmUpEvents}`;
    return { p50: Math.round(row!.p50), p99: Math.round(row!.p99), max: Math.round(row!.max), deliveries: row!.deliveries };
  } finally {
    await sql.end();
  }
}
