import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';
import { startingProcess } from '@/server/runtime/process-lifecycle';

await startingProcess('migrate', async () => {
  const database = await provideDatabase({ quiet: true });
  const db = createDatabase(database.url, { max: 2 });
  await migrateDatabase(db);
  await closeDatabase(db);
  await database.stop();
  console.log('Migrations applied.');
});
