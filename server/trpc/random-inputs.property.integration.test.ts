import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '@/db/schema';
import { generateWebhookSecret, paymentWebhookSecrets, signedHeaders, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, webhookHeaders } from '@/server/integrations/webhook-signature';
import { createOrder } from '@/server/orders/create-order';
import { answerPaymentNotification } from '@/server/http/payment-notifications';
import { createSku } from '@/server/orders/test-fixtures';
import { createTestDatabase } from '@/test/database';
import { appRouter, createCaller } from './root';

const { db } = await createTestDatabase();

/** Tables a refused call may legitimately write: the refusal is audited, a pending approval recorded. */
const WRITTEN_ON_REFUSAL = new Set(['audit_log', 'approvals', 'approval_requests', 'idempotent_requests', 'rate_limits', 'sessions']);

/** One fingerprint of every other table's rows: a refused call must leave it unchanged. */
async function fingerprint(): Promise<string> {
  const tables = await db.execute<{ name: string }>(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const parts: string[] = [];
  for (const { name } of tables) {
    if (WRITTEN_ON_REFUSAL.has(name) || name.startsWith('__drizzle')) continue;
    const [row] = await db.execute<{ digest: string | null }>(sql.raw(`select md5(string_agg(t::text, '|' order by t::text)) as digest from "${name}" t`));
    parts.push(`${name}:${row?.digest ?? '-'}`);
  }
  return parts.join(',');
}

const sku = await createSku(db, { stock: 1_000, priceCents: 900 });
const order = await createOrder(db, { userId: 'fuzz', items: [{ sku, quantity: 1 }] });

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
}
const mutations = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>)
  .filter(([, procedure]) => procedure._def.type === 'mutation')
  .map(([path]) => path);

const FIELD_NAMES = ['orderId', 'orderIds', 'refundId', 'ids', 'id', 'group', 'partition', 'offset', 'target', 'time', 'dryRun', 'limit', 'status', 'kind',
  'simulator', 'failureRate', 'latencyMs', 'enabled', 'threshold', 'name', 'email', 'role', 'userId', 'providerReference', 'runId', 'diffId', 'action', 'note',
  'filter', 'everything', 'requestId', 'key', 'eventType', 'tokenHash', 'prefix', 'approvalId'];
const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(order.orderId, 'ord_missing', 'points', 'payment', '', ' ', '0', '-1', '9999999999999999999', 'NaN'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(order.orderId)), { maxLength: 4 }),
  fc.date({ noInvalidDate: false }),
);
const input = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELD_NAMES), value, { maxKeys: 5 }).map((fields) => ({ reason: 'fuzzing the console', ...fields })),
  fc.dictionary(fc.constantFrom(...FIELD_NAMES, 'reason'), value, { maxKeys: 5 }),
  fc.anything({ maxDepth: 2 }),
);

function callerAs(role: Role) {
  return createCaller({ db, actor: { id: `fuzz-${role}`, email: `${role}@fuzz.test`, role } }) as unknown as Record<string, unknown>;
}

async function call(role: Role, path: string, raw: unknown): Promise<{ code: string; message?: string }> {
  const procedure = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], callerAs(role)) as (input: unknown) => Promise<unknown>;
  try {
    await procedure(raw);
    return { code: 'OK' };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    return { code: `not a tRPC error: ${String(error)}` };
  }
}

describe('random inputs', () => {
  it('to every tRPC mutation never produce INTERNAL_SERVER_ERROR, and a refused call changes no row', { timeout: 180_000 }, async () => {
    expect(mutations.length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...mutations), fc.constantFrom<Role>('viewer', 'support', 'oncall', 'admin'), input, async (path, role, raw) => {
        const before = await fingerprint();
        const result = await call(role, path, raw);
        expect(result.code, `${path} as ${role} with ${JSON.stringify(raw)}: ${result.message}`).not.toMatch(/INTERNAL_SERVER_ERROR|not a tRPC error/);
        if (result.code !== 'OK') expect(await fingerprint(), `${path} refused (${result.code}) yet changed rows`).toBe(before);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
    );
  });

  it('to POST /api/payments/notify never produce a 500, and a refused notification changes no row', { timeout: 120_000 }, async () => {
    const secrets = paymentWebhookSecrets();
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.anything({ maxDepth: 2 }).map((anything) => JSON.stringify(anything) ?? ''),
      fc
        .record({
          type: fc.oneof(fc.constant('payment.succeeded'), fc.string({ maxLength: 10 })),
          paymentId: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
          orderId: fc.oneof(fc.constant(order.orderId), fc.string({ maxLength: 10 })),
          amountCents: fc.oneof(fc.constant(order.totalCents + 1), fc.integer({ min: -5, max: 5 }), fc.double()),
          paidAt: fc.oneof(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((date) => date.toISOString()), fc.string({ maxLength: 10 })),
        }, { requiredKeys: [] })
        .map((notification) => JSON.stringify(notification)),
    );
    // How the request is signed: properly (the body alone may be wrong), not at all, with garbage, with a wrong secret, stale, or from the future.
    const signing = fc.constantFrom('valid', 'none', 'garbage', 'wrong-secret', 'stale', 'future');
    await fc.assert(
      fc.asyncProperty(body, signing, fc.string({ maxLength: 30 }), async (text, how, garbage) => {
        const headers: Record<string, string> =
          how === 'valid' ? signedHeaders(secrets, text)
          : how === 'wrong-secret' ? signedHeaders(generateWebhookSecret(), text)
          : how === 'stale' ? signedHeaders(secrets, text, { at: new Date(Date.now() - 3_600_000) })
          : how === 'future' ? signedHeaders(secrets, text, { at: new Date(Date.now() + 3_600_000) })
          : how === 'garbage' ? Object.fromEntries([WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER].map((name) => [name, garbage.replace(/[^\x20-\x7e]/g, '')]))
          : {};
        const before = await fingerprint();
        const response = await answerPaymentNotification(db, { body: text, headers: webhookHeaders((name) => headers[name] ?? null) });
        expect(response.status, `${how}: ${text}`).toBeLessThan(500);
        if (how !== 'valid') expect(response.status).toBe(401);
        if (response.status !== 200) expect(await fingerprint(), `refused with ${response.status} yet changed rows`).toBe(before);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
    );
  });
});
