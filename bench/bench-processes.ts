/** What the benchmarks share: starting the documented commands, reading CPU from /proc, seeding orders, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { demoCatalog } from '@/server/orders/seed-catalog';
import { getLag } from '@/server/pipeline';
import type { BackgroundTier } from './background-tier';

const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');

export interface Target {
  orderId: string;
  amountCents: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

/** Unpaid orders written in bulk (stock frozen to match), so the measured phase only pays. */
export async function seedPendingOrders(db: Database, phase: string, count: number): Promise<Target[]> {
  const skus = demoCatalog.map(([sku, , priceCents]) => ({ sku, priceCents }));
  const rows = await db.execute<{ id: string; total_cents: number }>(sql`
    with catalog as (select * from jsonb_to_recordset(${JSON.stringify(skus)}::jsonb) as c(sku text, "priceCents" int)),
    numbered as (select row_number() over () - 1 as n, sku, "priceCents" from catalog),
    wanted as (select g, (select count(*) from catalog) as skus from generate_series(0, ${count - 1}) g),
    planned as (
      select ${`bench_${phase}_`} || w.g as id, 'bench-user-' || (w.g % 20000) as user_id, n.sku, n."priceCents" as price
      from wanted w join numbered n on n.n = w.g % w.skus
    ),
    inserted as (
      insert into orders (id, user_id, contact_phone, status, stock_state, total_cents, payment_deadline)
      select id, user_id, '+15550000000', 'PENDING_PAYMENT', 'FROZEN', price, now() + interval '2 hours' from planned
      returning id, total_cents
    ),
    items as (insert into order_items (order_id, sku, quantity, unit_price_cents) select id, sku, 1, price from planned),
    frozen as (
      update skus set available = skus.available - f.units
      from (select sku, count(*)::int as units from planned group by sku) f where skus.sku = f.sku
    )
    select id, total_cents from inserted`);
  // Statistics as a live table has them (autovacuum would take a while to notice a bulk
  // insert): without them the planner takes a table of thousands of orders for a tiny one.
  await db.execute(sql`analyze orders, order_items`);
  return rows.map((row) => ({ orderId: row.id, amountCents: row.total_cents }));
}

/**
 * On one machine the worker tier's share of the database is the CPU of its sessions, so
 * they join the background tier too: every session of this database but the web tier's
 * (those whose application name is in `foreground`). Only for the embedded server, whose
 * process ids are this machine's.
 */
export function backgroundOtherTiersSessions(db: Database, tier: BackgroundTier, foreground: readonly string[] = ['bench-web']): () => void {
  const added = new Set<number>();
  const timer = setInterval(() => {
    db.execute<{ pid: number }>(sql`
      select pid from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and application_name <> all(${sql.param([...foreground])}::text[])`)
      .then((rows) => {
        for (const { pid } of rows) {
          if (added.has(pid)) continue;
          added.add(pid);
          tier.add(pid);
        }
      })
      .catch(() => {});
  }, 250);
  return () => clearInterval(timer);
}

export const totalLag = async (db: Database) => (await getLag(db)).reduce((sum, group) => sum + group.lag, 0);

export async function waitForConsumers(db: Database, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const lag = await totalLag(db);
    if (lag === 0 || Date.now() - started > timeoutMs) return lag;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Starts one of the product's commands (server/cli/<script>) exactly as `npm run` does, and
 * resolves once a line of its output says it is ready.
 */
/**
 * Starts one of the documented commands (`npm run <script>`) as package.json defines it,
 * flags included, so the benchmark measures what a user runs; without npm in between, so the
 * process measured is the command's own.
 */
export function startCommand(script: 'order-api' | 'worker', env: Record<string, string>, isReady: (line: string) => boolean): Promise<ChildProcess> {
  const command = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts[script];
  const words = command?.split(/\s+/) ?? [];
  if (words[0] !== 'tsx') throw new Error(`package.json's "${script}" script is not a tsx command: ${command}`);
  const child = spawn(process.execPath, [tsx, ...words.slice(1)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (lines.some(isReady)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`npm run ${script} exited with ${code} before it was ready`)));
  });
}

/** A process and its descendants (`tsx` runs the command in a child process of its own), from /proc. */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch {
    // ended meanwhile
  }
  return [pid, ...children.flatMap(processTree)];
}

/** CPU seconds a process tree has used (user + system), from /proc. */
export function cpuSecondsOf(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${member}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // ended meanwhile
    }
  }
  return ticks / 100;
}

/**
 * Time the given processes' threads have run on a CPU, and have waited runnable for one (the
 * scheduler's run-queue delay), in ms so far, from /proc/<pid>/task/<tid>/schedstat. The wait
 * is what CPU contention adds to a request's latency.
 */
export function schedulingOf(pids: readonly number[]): Map<string, { runMs: number; waitMs: number }> {
  const threads = new Map<string, { runMs: number; waitMs: number }>();
  for (const pid of pids) {
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ').map(Number);
        threads.set(`${pid}/${task}`, { runMs: run! / 1e6, waitMs: wait! / 1e6 });
      }
    } catch {
      // ended meanwhile
    }
  }
  return threads;
}

/** What the threads present in both readings ran and waited between them, in ms. */
export function schedulingBetween(before: Map<string, { runMs: number; waitMs: number }>, after: Map<string, { runMs: number; waitMs: number }>): { runMs: number; waitMs: number } {
  let runMs = 0;
  let waitMs = 0;
  for (const [thread, end] of after) {
    const start = before.get(thread);
    if (!start) continue;
    runMs += end.runMs - start.runMs;
    waitMs += end.waitMs - start.waitMs;
  }
  return { runMs, waitMs };
}

/** The machine's CPU time so far, in ticks: all of it, and what the hypervisor took for other guests (steal). */
export function machineCpuTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((sum, value) => sum + value, 0), steal: fields[7] ?? 0 };
}

/**
 * Detached children outlive a parent that crashed unless it takes them along: each is its own
 * process group (detached), which takes along what tsx started for it. An interrupt also stops
 * the embedded database, which would otherwise hold its directory for the next run.
 */
export function stopChildrenOnExit(children: ChildProcess[], stopDatabase: () => Promise<void>) {
  process.on('exit', () => {
    for (const child of children) {
      try {
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopDatabase().finally(() => process.exit(130)));
}
