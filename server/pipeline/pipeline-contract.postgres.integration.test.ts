import { createTestDatabase } from '@/test/database';
import { createEffectsTable } from './test-support/effects';
import { describePipelineContract } from './test-support/pipeline-contract';

const { db, url } = await createTestDatabase();
await createEffectsTable(db);

describePipelineContract('postgres', () => ({ db, url, log: { kind: 'postgres' }, workerEnv: { PIPELINE_LOG: 'postgres' } }));
