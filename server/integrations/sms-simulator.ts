import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { simSmsMessages } from '@/db/schema';
import { badRequest, json, notFound, readJson, withFaults, type FaultOptions } from './simulator-http';

const sendBody = z.object({ to: z.string().min(3), text: z.string().min(1).max(1_000) });

/** The SMS gateway: one message per idempotency key, however often it is sent. */
export function createSmsSimulator(options: FaultOptions & { db: Executor }) {
  const { db } = options;
  async function send(request: Request): Promise<Response> {
    const idempotencyKey = request.headers.get('idempotency-key');
    if (!idempotencyKey) return badRequest('Idempotency-Key header is required');
    const parsed = sendBody.safeParse(await readJson(request));
    if (!parsed.success) return badRequest(z.prettifyError(parsed.error));
    const [created] = await db
      .insert(simSmsMessages)
      .values({ idempotencyKey, id: `sms_${randomUUID()}`, phone: parsed.data.to, text: parsed.data.text })
      .onConflictDoNothing()
      .returning();
    const message = created ?? (await db.select().from(simSmsMessages).where(eq(simSmsMessages.idempotencyKey, idempotencyKey)))[0]!;
    return json(created ? 201 : 200, { messageId: message.id });
  }
  return {
    handle: (request: Request, path: string) =>
      withFaults(db, 'sms', options, () => (request.method === 'POST' && path === '/messages' ? send(request) : Promise.resolve(notFound(`no SMS route ${request.method} ${path}`)))),
  };
}
