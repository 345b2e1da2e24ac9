import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { outbox } from '@/db/schema';
import { OUTBOX_CHANNEL } from './channels';
import type { AppendEventInput } from './types';

/**
 * Appends events to the outbox inside the caller's transaction: they exist if and only if
 * that transaction commits, and the NOTIFY it raises reaches the relay only at commit.
 *
 * Per-key order: events with one key are delivered in the order of their outbox ids, and
 * ids are drawn at insert time, not at commit. So a producer must lock the aggregate row
 * (e.g. `select ... for update` on the order) before appending, which makes the ids of one
 * key follow the commit order of its transactions.
 */
export async function appendEvents(tx: Executor, inputs: readonly AppendEventInput[]): Promise<{ id: string }[]> {
  if (inputs.length === 0) return [];
  const rows = await tx
    .insert(outbox)
    .values(
      inputs.map((input) => ({
        topic: input.topic,
        key: input.key,
        type: input.type,
        payload: input.payload ?? null,
        headers: input.headers ?? {},
        ...(input.deliverAt ? { deliverAt: input.deliverAt } : {}),
      })),
    )
    .returning({ id: outbox.id });
  // Identical notifications within one transaction are folded into one by PostgreSQL.
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
  return rows.map((row) => ({ id: String(row.id) }));
}

export async function appendEvent(tx: Executor, input: AppendEventInput): Promise<{ id: string }> {
  const [row] = await appendEvents(tx, [input]);
  return row!;
}
