import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@/test/database';
import { listAuditEntries } from './audit';

const { db } = await createTestDatabase();

afterAll(async () => {
  await db.$client.end();
});

describe('the audit log page by page', () => {
  it('walks every entry once, newest first, also through entries recorded at the same instant', async () => {
    // Three entries per instant: the cursor must order ties by id, or a page boundary skips or repeats one.
    await db.$client`
      insert into audit_log (at, actor_email, action, target, outcome)
      select timestamptz '2026-01-01' + (n / 3) * interval '1 second', 'oncall@audit.test', 'deadLetters.replay', 'ord_' || n, 'ok'
      from generate_series(1, 130) n`;
    const seen: number[] = [];
    let cursor: number | undefined;
    do {
      const page = await listAuditEntries(db, { cursor, limit: 25 }, { withInputs: false });
      seen.push(...page.entries.map((entry) => entry.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const expected = await db.$client<{ id: number }[]>`select id::int from audit_log order by at desc, id desc`;
    expect(seen).toEqual(expected.map((row) => row.id));
    expect(new Set(seen).size).toBe(130);
  });
});
