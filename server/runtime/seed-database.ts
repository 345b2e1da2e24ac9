import type { Database } from '@/db/client';
import { ensureFirstAdmin, seedDemoUsers } from '@/server/auth/seed-users';
import { seedCatalog } from '@/server/orders/seed-catalog';

/** Everything a fresh database needs before the console serves; safe to run at every start. */
export async function seedDatabase(db: Database, options: { demo: boolean; log: (line: string) => void }): Promise<void> {
  if (options.demo) {
    await seedDemoUsers(db);
    const { inserted } = await seedCatalog(db);
    if (inserted > 0) options.log(`seeded the demo catalog (${inserted} SKUs)`);
  }
  await ensureFirstAdmin(db, options.log);
}
