/**
 * npm run seed:scale [-- --events 10000000 --orders 1000000 --dead-letters 100000 --retries 50000 --audit 1000000]:
 * fills an empty database with a production-sized dataset for `npm run bench:console`
 * (DATABASE_URL, else a dedicated embedded PostgreSQL under .data/scale-postgres, whose URL it
 * prints). Refuses a database that already holds orders or events, and a disk without room.
 */
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { seedDatabase } from '@/server/runtime/seed-database';
import { withProgress } from './print-progress';
import { SCALE_DATA_DIR } from './scale-data-dir';
import { eventLayout, orderIdOf, scaleSteps, type ScaleDatasetSize } from './scale-dataset';


const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    orders: { type: 'string', default: '1000000' },
    'dead-letters': { type: 'string', default: '100000' },
    retries: { type: 'string', default: '50000' },
    audit: { type: 'string', default: '1000000' },
  },
});

function count(name: keyof typeof values, minimum: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < minimum) {
    console.error(`seed:scale: --${name} must be a whole number of at least ${minimum} (got ${values[name]})`);
    process.exit(2);
  }
  return value;
}

const size: ScaleDatasetSize = {
  events: count('events', 1),
  orders: count('orders', 1),
  deadLetters: count('dead-letters', 0),
  retries: count('retries', 0),
  audit: count('audit', 0),
};

/**
 * Bytes on disk per row with its indexes, measured on the seeded tables (pg_total_relation_size /
 * rows) and rounded up, so the check errs on the side of refusing.
 */
const BYTES_PER_ROW = { event: 520, order: 1_400, deadLetter: 1_500, retry: 1_200, audit: 650 };
const needed =
  size.events * BYTES_PER_ROW.event +
  size.orders * BYTES_PER_ROW.order +
  size.deadLetters * BYTES_PER_ROW.deadLetter +
  size.retries * BYTES_PER_ROW.retry +
  size.audit * BYTES_PER_ROW.audit +
  200 * 1024 ** 2;

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

if (!process.env.DATABASE_URL) process.env.EMBEDDED_PG_DIR ??= SCALE_DATA_DIR;
const database = await provideDatabase({ quiet: true });
const db = createDatabase(database.url, { max: 1 });
const sql = db.$client;
let exitCode = 0;
try {
  const [where] = await sql<{ dir: string | null }[]>`select current_setting('data_directory', true) as dir`.catch(() => [{ dir: null }]);
  // A role that may not see the data directory (a managed server) is checked on this machine's disk instead.
  const dir = where?.dir ?? process.cwd();
  const free = freeBytes(dir);
  console.log(`seed:scale: database ${database.url.replace(/:[^:@/]+@/, ':***@')}`);
  console.log(`seed:scale: needs about ${gb(needed)}; ${gb(free)} free at ${dir}${where?.dir ? '' : ' (this machine; the server keeps its data elsewhere)'}`);
  if (free < needed * 1.2) {
    console.error(`seed:scale: refused: the disk lacks room (keep 20% spare). Pass smaller --events/--orders/--audit, or free space at ${dir}.`);
    exitCode = 1;
  } else {
    await migrateDatabase(db);
    await seedDatabase(db, { demo: database.embedded, log: (line) => console.log(`seed:scale: ${line}`) });
    const [existing] = await sql<{ orders: boolean; events: boolean }[]>`
      select exists (select 1 from orders) as orders, exists (select 1 from events) as events`;
    if (existing!.orders || existing!.events) {
      console.error(`seed:scale: refused: this database already holds ${existing!.orders ? 'orders' : 'events'}; seed:scale fills an empty one (remove ${SCALE_DATA_DIR} or point DATABASE_URL at a new database).`);
      exitCode = 1;
    } else {
      await seed();
    }
  }
} finally {
  await closeDatabase(db);
  await database.stop();
}
process.exit(exitCode);

async function seed() {
  const started = Date.now();
  // Bulk-load settings for this session only: nothing here must survive a crash half-way anyway.
  await sql`set synchronous_commit = off`;
  await sql`set work_mem = '256MB'`;
  await sql`set maintenance_work_mem = '512MB'`;
  const steps = scaleSteps(size);
  for (const [index, step] of steps.entries()) {
    const label = `seed:scale: [${index + 1}/${steps.length}] ${step.name}`;
    const rows = step.rows.toLocaleString('en-US');
    console.log(`${label}: ${rows} rows…`);
    // A step written in one statement reports nothing until it ends: the line then says the statement still runs.
    let written = 0;
    await withProgress(label, () => step.run(sql, (done) => void (written = done)), {
      report: () => (written > 0 ? `${written.toLocaleString('en-US')} / ${rows} rows` : `writing ${rows} rows`),
    });
  }
  console.log('seed:scale: vacuum analyze (visibility map and planner statistics)…');
  // The seeding connection is busy with the vacuum (and holds this session's settings): its progress is read on another.
  const watcher = createDatabase(database.url, { max: 1 });
  try {
    await withProgress('seed:scale: vacuum analyze', async () => void (await sql`vacuum analyze`), {
      report: async () => {
        const [vacuum] = await watcher.$client<{ phase: string; relation: string }[]>`
          select p.phase, coalesce(c.relname, '?') as relation from pg_stat_progress_vacuum p left join pg_class c on c.oid = p.relid where p.datname = current_database()`;
        const [analyze] = await watcher.$client<{ relation: string }[]>`
          select coalesce(c.relname, '?') as relation from pg_stat_progress_analyze p left join pg_class c on c.oid = p.relid where p.datname = current_database()`;
        return vacuum ? `vacuum: ${vacuum.phase} of ${vacuum.relation}` : analyze ? `analyze of ${analyze.relation}` : 'between tables';
      },
    });
  } finally {
    await closeDatabase(watcher);
  }
  const [databaseSize] = await sql<{ bytes: string }[]>`select pg_database_size(current_database())::text as bytes`;
  const bytes = databaseSize!.bytes;
  const layout = eventLayout(size);
  console.log(`seed:scale: seeded in ${seconds(Date.now() - started)}; database size ${gb(Number(bytes))} (${Number(bytes).toLocaleString('en-US')} bytes)`);
  console.log(`seed:scale: the order with the longest trace (${layout.heavy + layout.perOrder} events): ${await orderIdOf(sql, layout.heavyOrder)}`);
  if (database.embedded) console.log(`seed:scale: the console on it: EMBEDDED_PG_DIR=${process.env.EMBEDDED_PG_DIR} npm run console; benchmark: npm run bench:console`);
}

function freeBytes(dir: string): number {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const stats = statfsSync(at);
      return stats.bavail * stats.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) throw error;
    }
  }
}
