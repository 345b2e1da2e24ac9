import { closeDatabase, createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { provideDatabase } from '@/db/provide-database';

const database = await provideDatabase({ quiet: true });
const db = createDatabase(database.url, { max: 2 });
await migrateDatabase(db);
await closeDatabase(db);
await database.stop();
console.log('Migrations applied.');
