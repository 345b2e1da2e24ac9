import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { alerts, type AlertStatus } from '@/db/schema';
import { DomainError } from '@/server/errors';

export async function listAlerts(db: Executor, filter: { status?: AlertStatus | 'active'; kind?: string; cursor?: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.status === 'active') conditions.push(sql`${alerts.status} <> 'resolved'`);
  else if (filter.status) conditions.push(eq(alerts.status, filter.status));
  if (filter.kind) conditions.push(eq(alerts.kind, filter.kind));
  if (filter.cursor) conditions.push(lt(alerts.id, filter.cursor));
  const rows = await db
    .select()
    .from(alerts)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(alerts.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const ids = page.map((alert) => alert.id);
  const deliveries = ids.length
    ? await db.execute<{ alertId: number; attempts: number; deliveredAt: string | null; failedAt: string | null; lastError: string | null }>(sql`
        select alert_id::int as "alertId", attempts, delivered_at as "deliveredAt", failed_at as "failedAt", last_error as "lastError"
          from alert_deliveries where alert_id = any(${sql.param(ids)}::int8[])`)
    : [];
  return {
    alerts: page.map((alert) => ({ ...alert, webhook: deliveries.find((delivery) => delivery.alertId === alert.id) ?? null })),
    nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
  };
}

/** Open and acknowledged alerts, for the badge in the navigation. */
export async function activeAlertCounts(db: Executor) {
  const [row] = await db.execute<{ open: number; acknowledged: number; critical: number }>(sql`
    select count(*) filter (where status = 'open')::int as open,
           count(*) filter (where status = 'acknowledged')::int as acknowledged,
           count(*) filter (where status = 'open' and severity = 'critical')::int as critical
      from alerts where status <> 'resolved'`);
  return row!;
}

export async function acknowledgeAlert(db: Executor, input: { alertId: number; actor: string }) {
  const [alert] = await db
    .update(alerts)
    .set({ status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: input.actor })
    .where(and(eq(alerts.id, input.alertId), eq(alerts.status, 'open')))
    .returning();
  if (alert) return alert;
  const [existing] = await db.select().from(alerts).where(eq(alerts.id, input.alertId));
  if (!existing) throw new DomainError('NOT_FOUND', `Alert ${input.alertId} does not exist.`);
  throw new DomainError('CONFLICT', `Alert ${input.alertId} is already ${existing.status}${existing.acknowledgedBy ? ` (by ${existing.acknowledgedBy})` : ''}.`);
}

export async function resolveAlert(db: Executor, input: { alertId: number; actor: string; resolution: string }) {
  const [alert] = await db
    .update(alerts)
    .set({ status: 'resolved', resolvedAt: new Date(), resolvedBy: input.actor, resolution: input.resolution })
    .where(and(eq(alerts.id, input.alertId), sql`${alerts.status} <> 'resolved'`))
    .returning();
  if (alert) return alert;
  const [existing] = await db.select().from(alerts).where(eq(alerts.id, input.alertId));
  if (!existing) throw new DomainError('NOT_FOUND', `Alert ${input.alertId} does not exist.`);
  throw new DomainError('CONFLICT', `Alert ${input.alertId} was already resolved by ${existing.resolvedBy ?? 'someone'}.`);
}

