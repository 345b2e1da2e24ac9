import { sql } from 'drizzle-orm';
import type { Executor, Transaction } from '@/db/client';
import { defineConsumer } from '../define-consumer';
import type { ConsumerDefinition, PipelineEvent } from '../types';

/**
 * A stand-in for a downstream system's database side effect: one row per handler run,
 * deliberately without a unique key so a repeated effect shows up as a second row.
 */
export async function createEffectsTable(db: Executor): Promise<void> {
  await db.execute(sql`
    create table if not exists test_effects (
      seq bigserial primary key,
      "group" text not null,
      event_id bigint not null,
      key text not null,
      type text not null,
      worker text
    )`);
}

export async function recordEffect(tx: Transaction, group: string, event: PipelineEvent, worker?: string): Promise<void> {
  await tx.execute(sql`
    insert into test_effects ("group", event_id, key, type, worker)
    values (${group}, ${event.id}::int8, ${event.key}, ${event.type}, ${worker ?? null})`);
}

export async function effectCounts(db: Executor, group: string): Promise<{ events: number; effects: number }> {
  const [row] = await db.execute<{ events: number; effects: number }>(sql`
    select count(distinct event_id)::int as events, count(*)::int as effects from test_effects where "group" = ${group}`);
  return row!;
}

/** A group on its own topic whose handler fails while `state.failing` holds, else records an effect. */
export function flakyConsumer(group: string, state: { failing: boolean }, options: Partial<ConsumerDefinition> = {}) {
  return defineConsumer({
    group,
    types: '*',
    topics: [group],
    maxAttempts: 1,
    handler: async (event, { tx }) => {
      if (state.failing) throw new Error('downstream unavailable');
      await recordEffect(tx, group, event);
    },
    ...options,
  });
}
