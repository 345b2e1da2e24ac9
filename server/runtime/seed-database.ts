import type { Database } from '@/db/client';
import { disableDemoAccounts } from '@/server/auth/disable-demo-accounts';
import { ensureFirstAdmin, seedDemoUsers } from '@/server/auth/seed-users';
import { seedCatalog } from '@/server/orders/seed-catalog';

/** Everything a fresh database needs before the console serves; safe to run at every start. */
export async function seedDatabase(db: Database, options: { demo: boolean; log: (line: string) => void }): Promise<void> {
  if (options.demo) {
    await seedDemoUsers(db);
    const { inserted } = await seedCatalog(db);
    if (inserted > 0) options.log(`seeded the demo catalog (${inserted} SKUs)`);
  } else {
    const disabled = await disableDemoAccounts(db);
    if (disabled.length > 0) options.log(`demo mode is off: disabled the demo accounts ${disabled.join(', ')} (password and sessions deleted)`);
  }
  await ensureFirstAdmin(db, options.log);
}
