import { sql } from 'drizzle-orm';
import type { Executor } from '@/db/client';
import { getLag, getLagHistory, summarizeRetries } from '@/server/pipeline';
import { listAlertRules } from './alert-rules';
import { latencyMinutes, quantileMs, type BucketCounts } from './latency-minutes';
import { readOverviewState } from './overview-state';

/** The route whose latency the Overview shows: what the payment provider waits on. */
export const PAYMENT_NOTIFY_ROUTE = '/api/payments/notify';

/** Payment notification p99 at or under this is green (the order API's latency target); over the next, red. */
const LATENCY_GREEN_MS = 20;
const LATENCY_RED_MS = 100;
/** A third party's observed error rate at or over these is amber / red. */
const THIRD_PARTY_AMBER = 0.05;
const THIRD_PARTY_RED = 0.5;

export type TileStatus = 'ok' | 'warn' | 'bad' | 'info';

export interface OverviewTile {
  key: string;
  label: string;
  value: number | null;
  unit: 'count' | 'per_minute' | 'ms' | 'rate' | 'events';
  /** A second line: the worst group, the growth, the p50 … */
  detail: string | null;
  status: TileStatus;
  /** Why it has its colour, in one line (the rule or threshold it was judged by). */
  judgedBy: string;
  href: string;
  /** One point per minute of the last hour, oldest first; null where nothing was sampled. */
  series: (number | null)[];
}

const MINUTES = 60;

/** The last hour's minute starts, oldest first, as epoch milliseconds. */
function lastHour(now: number): number[] {
  const current = Math.floor(now / 60_000) * 60_000;
  return Array.from({ length: MINUTES }, (_, index) => current - (MINUTES - 1 - index) * 60_000);
}

function seriesFrom<T>(minutes: number[], rows: T[], minuteOf: (row: T) => number, valueOf: (rows: T[]) => number | null): (number | null)[] {
  const byMinute = new Map<number, T[]>();
  for (const row of rows) {
    const minute = Math.floor(minuteOf(row) / 60_000) * 60_000;
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), row]);
  }
  return minutes.map((minute) => {
    const found = byMinute.get(minute);
    return found ? valueOf(found) : null;
  });
}

async function countsPerMinute(db: Executor, column: 'created_at' | 'paid_at'): Promise<{ minute: number; count: number }[]> {
  // Each served by its index (orders_created_idx, orders_paid_idx).
  const rows = await db.execute<{ minute: string; count: number }>(sql`
    select date_trunc('minute', ${sql.identifier(column)}) as minute, count(*)::int as count
    from orders where ${sql.identifier(column)} >= date_trunc('minute', now()) - interval '59 minutes'
    group by 1`);
  return rows.map((row) => ({ minute: new Date(row.minute).getTime(), count: row.count }));
}

async function samplesOfLastHour(db: Executor): Promise<{ metric: string; minute: number; value: number | null }[]> {
  const rows = await db.execute<{ metric: string; minute: string; value: number | null }>(sql`
    select metric, minute, value from overview_samples where minute >= date_trunc('minute', now()) - interval '59 minutes'`);
  return rows.map((row) => ({ metric: row.metric, minute: new Date(row.minute).getTime(), value: row.value }));
}

/** Sales admitting now, with their units left and admitted attempts per minute of the last hour. */
async function liveSales(db: Executor) {
  const sales = await db.execute<{ id: string; name: string; unitsArmed: number; left: number }>(sql`
    select s.id, s.name, s.units_armed as "unitsArmed", coalesce(sum(h.units_left), 0)::int as left
    from sales s left join sale_shards h on h.sale_id = s.id
    where s.state = 'live' group by s.id order by s.starts_at limit 3`);
  const admitted = sales.length
    ? await db.execute<{ saleId: string; minute: string; count: number }>(sql`
        select sale_id as "saleId", date_trunc('minute', second) as minute, sum(admitted)::int as count
        from sale_attempt_seconds
        where sale_id in ${sales.map((sale) => sale.id)} and second >= date_trunc('minute', now()) - interval '59 minutes'
        group by 1, 2`)
    : [];
  return sales.map((sale) => ({ ...sale, admitted: admitted.filter((row) => row.saleId === sale.id).map((row) => ({ minute: new Date(row.minute).getTime(), count: row.count })) }));
}

const sumCounts = (all: BucketCounts[]): BucketCounts => all.reduce((sum, counts) => sum.map((value, index) => value + (counts[index] ?? 0)), all[0]?.map(() => 0) ?? []);

const formatAge = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/**
 * The landing page: is anything wrong? Each figure with its last hour and a colour judged by
 * the alert rules' thresholds where a rule exists (lag, oldest age, retry attempts, dead
 * letters), by the latency target, and by fixed error-rate thresholds for third parties.
 */
export async function getOverview(db: Executor, now = Date.now()): Promise<{ tiles: OverviewTile[]; at: Date }> {
  const rules = await listAlertRules(db);
  const rule = (name: (typeof rules)[number]['rule']) => rules.find((found) => found.rule === name)!;
  const lagRule = rule('pipeline.lag');
  const ageRule = rule('pipeline.oldest_age');
  const retryRule = rule('pipeline.retry_attempts');

  const [state, lag, lagHistory, created, paid, latency, samples, lateRetries, sales] = await Promise.all([
    readOverviewState(db),
    getLag(db),
    getLagHistory(db, { since: new Date(now - MINUTES * 60_000) }),
    countsPerMinute(db, 'created_at'),
    countsPerMinute(db, 'paid_at'),
    latencyMinutes(db, { route: PAYMENT_NOTIFY_ROUTE, minutes: MINUTES - 1 }),
    samplesOfLastHour(db),
    summarizeRetries(db, { minAttempt: retryRule.threshold ?? 5 }),
    liveSales(db),
  ]);
  const minutes = lastHour(now);
  const sampled = (metric: string) =>
    seriesFrom(
      minutes,
      samples.filter((sample) => sample.metric === metric),
      (sample) => sample.minute,
      (rows) => rows[rows.length - 1]!.value,
    );
  const counted = (rows: { minute: number; count: number }[]) => seriesFrom(minutes, rows, (row) => row.minute, (found) => found[0]!.count).map((value) => value ?? 0);

  const recentLatency = sumCounts(latency.filter((row) => row.minute.getTime() >= now - 5 * 60_000).map((row) => row.bucketCounts));
  const p99 = quantileMs(recentLatency, 0.99);
  const p50 = quantileMs(recentLatency, 0.5);

  const worst = [...lag].sort((a, b) => (b.oldestUnconsumedAgeMs ?? 0) - (a.oldestUnconsumedAgeMs ?? 0) || b.lag - a.lag)[0];
  const totalLag = lag.reduce((sum, group) => sum + group.lag, 0);
  const lagLimit = lagRule.threshold ?? 1_000;
  const ageLimitMs = (ageRule.threshold ?? 120) * 1000;
  const worstLag = Math.max(0, ...lag.map((group) => group.lag));
  const worstAge = Math.max(0, ...lag.map((group) => group.oldestUnconsumedAgeMs ?? 0));

  const deadSeries = sampled('dead_letters');
  const deadHourAgo = deadSeries.find((value) => value !== null) ?? null;
  const deadGrowth = deadHourAgo === null ? null : state.deadLetters - deadHourAgo;

  const tiles: OverviewTile[] = [
    ...sales.map(
      (sale): OverviewTile => ({
        key: `sale-${sale.id}`,
        label: `Flash sale live: ${sale.name}`,
        value: sale.left,
        unit: 'count',
        detail: `units left of ${sale.unitsArmed.toLocaleString('en')}; line: admitted per minute`,
        status: 'info',
        judgedBy: 'shown while a sale is live',
        href: `/sales/${encodeURIComponent(sale.id)}`,
        series: counted(sale.admitted),
      }),
    ),
    {
      key: 'orders-created',
      label: 'Orders created / min',
      value: counted(created).at(-2) ?? 0,
      unit: 'per_minute',
      detail: `${created.reduce((sum, row) => sum + row.count, 0)} in the last hour`,
      status: 'info',
      judgedBy: 'the last full minute',
      href: '/orders',
      series: counted(created),
    },
    {
      key: 'orders-paid',
      label: 'Orders paid / min',
      value: counted(paid).at(-2) ?? 0,
      unit: 'per_minute',
      detail: `${paid.reduce((sum, row) => sum + row.count, 0)} in the last hour`,
      status: 'info',
      judgedBy: 'the last full minute',
      href: '/reports',
      series: counted(paid),
    },
    {
      key: 'payment-latency',
      label: 'Payment notification p99',
      value: p99 === null ? null : Math.round(p99 * 10) / 10,
      unit: 'ms',
      detail: p50 === null ? 'no notifications in the last 5 minutes' : `p50 ${Math.round(p50 * 10) / 10} ms over the last 5 minutes`,
      status: p99 === null ? 'info' : p99 <= LATENCY_GREEN_MS ? 'ok' : p99 <= LATENCY_RED_MS ? 'warn' : 'bad',
      judgedBy: `green up to ${LATENCY_GREEN_MS} ms, red over ${LATENCY_RED_MS} ms (the order API's histogram)`,
      href: '/third-parties',
      series: seriesFrom(minutes, latency, (row) => row.minute.getTime(), (rows) => quantileMs(rows[0]!.bucketCounts, 0.99)),
    },
    {
      key: 'lag',
      label: 'Total lag',
      value: totalLag,
      unit: 'events',
      detail: worst && (worst.lag > 0 || worst.oldestUnconsumedAgeMs) ? `worst: ${worst.group}, ${worst.lag} waiting, oldest ${formatAge(worst.oldestUnconsumedAgeMs ?? 0)}` : 'every group is caught up',
      status: worstLag >= lagLimit || worstAge >= ageLimitMs ? 'bad' : worstLag >= lagLimit / 2 || worstAge >= ageLimitMs / 2 ? 'warn' : 'ok',
      judgedBy: `alert rules: a group over ${lagLimit} events or ${formatAge(ageLimitMs)} old is red, half of either amber`,
      href: worst ? `/queues?chartGroup=${encodeURIComponent(worst.group)}` : '/queues',
      series: seriesFrom(
        minutes,
        lagHistory,
        (point) => point.sampledAt.getTime(),
        (points) => {
          // The last sample of each group in the minute, summed.
          const latest = new Map(points.map((point) => [point.group, point.lag]));
          return [...latest.values()].reduce((sum, value) => sum + value, 0);
        },
      ),
    },
    {
      key: 'dead-letters',
      label: 'Dead letters',
      value: state.deadLetters,
      unit: 'count',
      detail:
        (deadGrowth === null ? 'growth: not sampled yet' : `${deadGrowth >= 0 ? '+' : ''}${deadGrowth} in the last hour`) +
        (state.mostDeadLetters ? `; most in ${state.mostDeadLetters.group} (${state.mostDeadLetters.dead})` : ''),
      status: deadGrowth !== null && deadGrowth > 0 ? 'bad' : state.deadLetters > 0 ? 'warn' : 'ok',
      judgedBy: 'red while growing, amber while any wait',
      // Straight to the failing deliveries of the group that holds most of them.
      href: state.mostDeadLetters ? `/dead-letters?group=${encodeURIComponent(state.mostDeadLetters.group)}` : '/dead-letters',
      series: deadSeries,
    },
    {
      key: 'retrying',
      label: 'Deliveries retrying',
      value: state.retrying,
      unit: 'count',
      detail: lateRetries.length ? `${lateRetries.reduce((sum, row) => sum + row.count, 0)} at attempt ${retryRule.threshold ?? 5} or later` : null,
      status: lateRetries.length ? 'bad' : state.retrying > 0 ? 'warn' : 'ok',
      judgedBy: `alert rule: a delivery at attempt ${retryRule.threshold ?? 5} or later is red`,
      href: '/failed-pushes',
      series: sampled('retrying'),
    },
    {
      key: 'alerts',
      label: 'Open alerts',
      value: state.openAlerts,
      unit: 'count',
      detail: state.criticalAlerts ? `${state.criticalAlerts} critical` : null,
      status: state.criticalAlerts ? 'bad' : state.openAlerts ? 'warn' : 'ok',
      judgedBy: 'red with a critical alert open',
      href: '/alerts',
      series: sampled('open_alerts'),
    },
    {
      key: 'approvals',
      label: 'Open approvals',
      value: state.pendingApprovals,
      unit: 'count',
      detail: null,
      status: state.pendingApprovals ? 'warn' : 'ok',
      judgedBy: 'amber while a request waits for a second person',
      href: '/approvals',
      series: sampled('pending_approvals'),
    },
    {
      key: 'reconciliation',
      label: 'Reconciliation diffs open',
      value: state.openDiffs,
      unit: 'count',
      detail: null,
      status: state.openDiffs ? 'warn' : 'ok',
      judgedBy: 'amber while a difference is open',
      href: '/reconciliation',
      series: sampled('open_diffs'),
    },
    {
      key: 'invariants',
      label: 'Invariant violations',
      value: state.invariantViolations,
      unit: 'count',
      detail: null,
      status: state.invariantViolations ? 'bad' : 'ok',
      judgedBy: 'red while the invariant watch finds any',
      href: '/alerts',
      series: sampled('invariant_violations'),
    },
    ...state.thirdParties.map(
      (party): OverviewTile => ({
        key: `third-party-${party.integration}`,
        label: `${party.integration} error rate`,
        value: party.errorRate,
        unit: 'rate',
        detail: party.errorRate === null ? 'no calls in the last minute' : `${party.failures} failed of ${party.failures + party.successes}`,
        status: party.errorRate === null ? 'info' : party.errorRate >= THIRD_PARTY_RED ? 'bad' : party.errorRate >= THIRD_PARTY_AMBER ? 'warn' : 'ok',
        judgedBy: `amber from ${THIRD_PARTY_AMBER * 100}%, red from ${THIRD_PARTY_RED * 100}% of calls failing (last minute, retries and replays included)`,
        href: '/third-parties',
        series: sampled(`third_party_error_rate:${party.integration}`),
      }),
    ),
  ];
  return { tiles, at: new Date(now) };
}
