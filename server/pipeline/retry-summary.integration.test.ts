import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { summarizeRetries } from './retries';

const { db } = await createTestDatabase({ max: 1 });

describe('summarizeRetries (the Overview tile and the retry-attempts alert)', () => {
  it('per group counts the retries at the threshold or later, with the highest attempt and that retry’s error', async () => {
    await db.execute(sql`
      insert into retries ("group", event_id, attempt, next_attempt_at, last_error)
      values ('wms', 1, 4, now(), 'wms below the threshold'), ('wms', 2, 5, now(), 'wms at the threshold'),
             ('wms', 3, 9, now(), 'wms timed out at attempt 9'), ('wms', 4, 7, now(), 'wms attempt 7'),
             ('sms', 5, 6, now(), 'sms gateway 503'), ('sms', 6, 2, now(), 'sms early'),
             ('points', 7, 1, now(), 'points early')`);

    const summary = await summarizeRetries(db, { minAttempt: 5 });

    expect([...summary].sort((a, b) => a.group.localeCompare(b.group))).toEqual([
      { group: 'sms', count: 1, maxAttempt: 6, lastError: 'sms gateway 503' },
      { group: 'wms', count: 3, maxAttempt: 9, lastError: 'wms timed out at attempt 9' },
    ]);
  });
});
