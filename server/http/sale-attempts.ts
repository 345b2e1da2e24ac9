import { z } from 'zod';
import type { AddressRange } from '@/server/auth/auth-settings';
import { clientAddress } from '@/server/auth/client-address';
import type { ApiTokenAuthenticator } from '@/server/ops/api-tokens';
import type { AddressThrottle } from '@/server/sales/address-throttle';
import type { AttemptFigures } from '@/server/sales/attempt-figures';
import type { AttemptDecision, RecordedAttempt, SaleAdmission } from '@/server/sales/decide-attempts';
import { requireScope } from './api-token-auth';
import type { ApiRoute } from './api-route';
import { parseJsonBody, problem } from './http-answer';

/** What the order API needs to serve flash-sale attempts (see server/runtime/order-api.ts). */
export interface SaleDoor {
  admission: SaleAdmission;
  figures: AttemptFigures;
  throttle: AddressThrottle;
  trustedProxies: readonly AddressRange[];
}

const attemptBody = z.object({
  /** The storefront vouches for the buyer, as for an order. */
  buyerId: z.string().trim().min(1).max(200),
  /** The client's id for this attempt; sending it again (a retry) is answered the first outcome. */
  attemptId: z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'give 8 to 100 letters, digits or _ . : - (a UUID will do)'),
  contactPhone: z.string().min(3).max(32).optional(),
});

function attemptAnswer(decision: AttemptDecision | RecordedAttempt, extra: { orderId?: string | null; duplicate?: boolean }) {
  const admitted = decision.outcome === 'admitted';
  return {
    attemptId: decision.attemptId,
    outcome: decision.outcome,
    ...(admitted && {
      reservationId: decision.reservationId,
      paymentDeadline: decision.paymentDeadline,
      orderId: extra.orderId ?? null,
    }),
    ...(extra.duplicate !== undefined && { duplicate: extra.duplicate }),
  };
}

/** 429 `throttled`: the attempt was not decided, so sending it again (same attempt id) later is safe. */
function throttled(door: SaleDoor, saleId: string, retryAfterSeconds: number, why: string) {
  door.figures.count(saleId, 'throttled');
  return problem(429, 'throttled', `${why}; try again in ${retryAfterSeconds} s with the same attempt id.`, { outcome: 'throttled' }, { 'retry-after': String(retryAfterSeconds) });
}

/**
 * Flash-sale attempts (domain errors are answered by the server, serve-http.ts). An attempt is
 * throttled per client address first, then needs a storefront token (orders:create), then is
 * throttled again when the process already has more attempts waiting than it decides at once
 * (SALE_DOOR_QUEUE), else decided at once: 200 with its outcome, whatever it is, since sold out or over the limit is
 * an answer, not an error. The buyer then polls the attempt until its order exists and pays
 * that order as any other.
 */
export function saleAttemptRoutes(tokens: ApiTokenAuthenticator, door: SaleDoor): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/sales/:saleId/attempts',
      async handle(request) {
        const saleId = request.params.saleId!;
        const address = clientAddress({ get: (name) => request.header(name) }, door.trustedProxies, { peerAddress: request.peerAddress });
        const retryAfter = door.throttle.take(address);
        if (retryAfter !== null) return throttled(door, saleId, retryAfter, 'Too many attempts from your address');
        const access = await requireScope(tokens, request, 'orders:create');
        if (!access.ok) return access.answer;
        const body = parseJsonBody(await request.text(), attemptBody);
        if (!body.ok) return body.answer;
        const started = performance.now();
        const decision = await door.admission.decide({ saleId, ...body.value });
        if (decision.outcome === 'throttled') return throttled(door, saleId, decision.retryAfterSeconds, 'The sale has more attempts waiting than this server decides at once');
        if (!decision.duplicate) door.figures.count(saleId, decision.outcome, performance.now() - started);
        return { status: 200, body: attemptAnswer(decision, { orderId: decision.outcome === 'admitted' ? decision.orderId : null, duplicate: decision.duplicate }) };
      },
    },
    {
      method: 'GET',
      path: '/api/sales/:saleId/attempts/:attemptId',
      async handle(request) {
        const access = await requireScope(tokens, request, 'orders:create');
        if (!access.ok) return access.answer;
        const attempt = await door.admission.find(request.params.saleId!, request.params.attemptId!);
        if (!attempt) {
          return problem(404, 'not_found', `No attempt ${request.params.attemptId} was decided in sale ${request.params.saleId}; send it with POST /api/sales/${request.params.saleId}/attempts.`);
        }
        return { status: 200, body: { ...attemptAnswer(attempt, { orderId: attempt.orderId }), buyerId: attempt.buyerId } };
      },
    },
  ];
}
