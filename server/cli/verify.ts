/**
 * npm run verify [-- --settle 60 --stuck-after 300]: checks the order system's invariants
 * against the database (DATABASE_URL, else the embedded one) and exits 1 listing every
 * violation, grouped by invariant.
 */
import { parseArgs } from 'node:util';
import { closeDatabase, createDatabase } from '@/db/client';
import { provideDatabase } from '@/db/provide-database';
import { isBuiltInSimulator } from '@/server/integrations/integration-client';
import { checkOrderInvariants } from '@/server/orders/order-invariants';

const { values } = parseArgs({ options: { settle: { type: 'string', default: '60' }, 'stuck-after': { type: 'string', default: '300' }, limit: { type: 'string', default: '20' } } });
const shown = Number(values.limit);

const database = await provideDatabase({ quiet: true });
const db = createDatabase(database.url, { max: 2 });
let exitCode = 0;
try {
  const violations = await checkOrderInvariants(db, {
    settleSeconds: Number(values.settle),
    stuckAfterSeconds: Number(values['stuck-after']),
    simulatorChecks: isBuiltInSimulator('payment') && isBuiltInSimulator('wms'),
  });
  const [counted] = await db.$client<{ orders: number }[]>`select count(*)::int as orders from orders`;
  const orders = counted?.orders ?? 0;
  if (violations.length === 0) {
    console.log(`verify: all invariants hold over ${orders} orders.`);
  } else {
    exitCode = 1;
    const byInvariant = new Map<string, typeof violations>();
    for (const violation of violations) byInvariant.set(violation.invariant, [...(byInvariant.get(violation.invariant) ?? []), violation]);
    console.log(`verify: ${violations.length} violation(s) over ${orders} orders.\n`);
    for (const [invariant, found] of byInvariant) {
      console.log(`✗ ${invariant} — ${found.length}`);
      for (const violation of found.slice(0, shown)) console.log(`    ${violation.subject}: ${violation.detail}`);
      if (found.length > shown) console.log(`    … and ${found.length - shown} more`);
    }
  }
} finally {
  await closeDatabase(db);
  await database.stop();
}
process.exit(exitCode);
