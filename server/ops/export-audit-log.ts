import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '@/db/client';
import { hasRole } from '@/shared/roles';
import { asDatabaseUnavailable, httpStatusOf } from '@/server/errors';
import { beginAuditedAction, finishAuditedAction, recordRefusedAttempt, type AuditActor } from './audit';

export const AUDIT_EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

const exportRequest = z
  .object({
    from: z.coerce.date({ error: 'from: give the start of the range as an ISO date-time, e.g. 2026-12-01T00:00:00Z' }),
    to: z.coerce.date({ error: 'to: give the end of the range as an ISO date-time, e.g. 2026-12-02T00:00:00Z' }),
    format: z.enum(AUDIT_EXPORT_FORMATS, { error: 'format: csv or ndjson' }),
  })
  .refine((range) => range.from < range.to, { message: 'from must be before to: the range is from (included) to (excluded)' });

export type AuditExportRequest = z.infer<typeof exportRequest>;

/** Columns in file order; every cell of an entry, inputs and results included (admins only, secrets already removed). */
const COLUMNS = ['id', 'at', 'actor_email', 'actor_role', 'action', 'target', 'reason', 'outcome', 'message', 'input', 'result', 'request_id'] as const;

/** Rows fetched per round trip: a batch is the most the export holds in memory at once. */
const DEFAULT_BATCH_ROWS = 1_000;

/**
 * A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…) sends
 * data away), so such a cell is prefixed with a quote, which makes it text (OWASP's advice).
 */
const formulaStart = /^[=+\-@\t\r]/;

export function csvCell(value: string | null): string {
  if (value === null) return '';
  const text = formulaStart.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (cells: (string | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;

type ExportRow = Record<(typeof COLUMNS)[number], string | null> & { line: string };

function plainError(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { 'cache-control': 'no-store' } });
}

/**
 * The audit log of a time range as a download, for a SIEM: admins only (401 without a
 * session, 403 for any other role, the refusal recorded), the export itself audited (who,
 * range, format, then how many rows). Rows go out oldest first, by (at, id), through a
 * server-side cursor one batch per read of the response body, so the download's memory is
 * one batch whatever the range holds and a slow reader slows the query instead of filling
 * the server. Served by audit_log_at_idx.
 */
export async function answerAuditExport(
  db: Database,
  request: { actor: () => Promise<AuditActor | null>; query: URLSearchParams; batchRows?: number },
): Promise<Response> {
  try {
    const actor = await request.actor();
    if (!actor) return plainError(401, 'unauthorized', 'Sign in as an admin to export the audit log.');
    const raw = Object.fromEntries(['from', 'to', 'format'].map((key) => [key, request.query.get(key) ?? undefined]));
    const attempt = { actor, action: 'audit.export', input: raw };
    if (!hasRole(actor.role, 'admin') || actor.mustChangePassword) {
      const message = actor.mustChangePassword
        ? 'An admin asked you to set a new password: set it on the Account page, then export.'
        : `Your role (${actor.role}) cannot export the audit log: it needs admin. Ask an admin if you need it.`;
      await recordRefusedAttempt(db, attempt, 'denied', message);
      return plainError(403, 'forbidden', message);
    }
    const parsed = exportRequest.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues.map((issue) => issue.message).join('; ');
      await recordRefusedAttempt(db, attempt, 'error', message);
      return plainError(400, 'bad_request', message);
    }
    const range = parsed.data;
    const begun = await beginAuditedAction(db, { ...attempt, input: { from: range.from.toISOString(), to: range.to.toISOString(), format: range.format } });
    if (begun.kind !== 'started') throw new Error('an audit row without a request id always starts');
    return new Response(streamEntries(db, range, { auditId: begun.auditId, batchRows: request.batchRows ?? DEFAULT_BATCH_ROWS }), {
      headers: {
        'content-type': range.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="audit-log_${fileTime(range.from)}_${fileTime(range.to)}.${range.format}"`,
        'cache-control': 'no-store',
      },
    });
  } catch (error) {
    const outage = asDatabaseUnavailable(error);
    if (outage) return plainError(httpStatusOf[outage.kind], 'database_unavailable', outage.message);
    throw error;
  }
}

const fileTime = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

function streamEntries(db: Database, range: AuditExportRequest, options: { auditId: number; batchRows: number }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const line = range.format === 'csv' ? (row: ExportRow) => csvLine(COLUMNS.map((column) => row[column])) : (row: ExportRow) => `${row.line}\n`;
  const batches = db.$client<ExportRow[]>`
    select id::text as id, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, actor_email, actor_role::text as actor_role,
           action, target, reason, outcome::text as outcome, message, input::text as input, result::text as result, request_id,
           json_build_object('id', id, 'at', to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'actorEmail', actor_email,
             'actorRole', actor_role, 'action', action, 'target', target, 'reason', reason, 'outcome', outcome, 'message', message,
             'input', input, 'result', result, 'requestId', request_id)::text as line
    from audit_log
    where at >= ${range.from.toISOString()}::timestamptz and at < ${range.to.toISOString()}::timestamptz
    order by at, id`
    .cursor(options.batchRows)
    [Symbol.asyncIterator]();
  let rows = 0;
  let ended = false;
  const finish = async (outcome: 'ok' | 'error', message?: string) => {
    if (ended) return;
    ended = true;
    await finishAuditedAction(db, options.auditId, outcome, { result: { rows }, message });
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (range.format === 'csv') controller.enqueue(encoder.encode(csvLine([...COLUMNS])));
    },
    // Called only when the reader wants more: one batch per call is the backpressure.
    async pull(controller) {
      try {
        const next = await batches.next();
        if (next.done) {
          await finish('ok');
          controller.close();
          return;
        }
        rows += next.value.length;
        controller.enqueue(encoder.encode(next.value.map(line).join('')));
      } catch (error) {
        await finish('error', `The export stopped after ${rows} rows: ${error instanceof Error ? error.message : String(error)}`).catch(() => {});
        controller.error(error);
      }
    },
    async cancel() {
      await batches.return?.();
      await finish('error', `The download was cancelled after ${rows} rows.`);
    },
  });
}
