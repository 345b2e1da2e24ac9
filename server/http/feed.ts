import type { Executor } from '@/db/client';
import type { ApiTokenAuthenticator } from '@/server/ops/api-tokens';
import { readFeed } from '@/server/ops/feed';
import { requireScope } from './api-token-auth';
import type { ApiRoute } from './api-route';
import { problem } from './http-answer';

const MAX_LIMIT = 1_000;

/**
 * GET /api/feed/events?after=<cursor>&limit=<n>: the order events as NDJSON, one event per
 * line, each with the cursor to resume after it; `X-Next-Cursor` is the cursor after the
 * page (the same `after` when nothing new). Needs a token with `feed:read`; phone numbers and
 * other personal data are in the events only when the token also has `feed:pii`.
 */
export function feedRoutes(db: Executor, tokens: ApiTokenAuthenticator): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/feed/events',
      async handle(request) {
        const access = await requireScope(tokens, request, 'feed:read');
        if (!access.ok) return access.answer;
        const limit = Number(request.query.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return problem(400, 'bad_request', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
        const page = await readFeed(db, { after: request.query.get('after'), limit, personalData: access.token.scopes.includes('feed:pii') });
        return {
          status: 200,
          text: page.events.map((event) => `${JSON.stringify(event)}\n`).join(''),
          headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-next-cursor': page.nextCursor ?? '', 'cache-control': 'no-store' },
        };
      },
    },
  ];
}
