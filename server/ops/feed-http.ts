import type { Executor } from '@/db/client';
import { DomainError, httpStatusOf } from '@/server/errors';
import { authenticateFeedToken, readFeed } from './feed';

const MAX_LIMIT = 1_000;

/**
 * GET /api/feed/events?after=<cursor>&limit=<n>: the order events as NDJSON, one event per
 * line, each with the cursor to resume after it; `X-Next-Cursor` is the cursor after the
 * page (the same `after` when nothing new). Authenticated by a bearer token from the admin page.
 */
export async function handleFeedRequest(request: Request, db: Executor): Promise<Response> {
  const token = await authenticateFeedToken(db, request.headers.get('authorization'));
  if (!token) {
    return Response.json(
      { error: 'unauthorized', message: 'Send Authorization: Bearer <token>; an admin creates tokens under Settings → API tokens.' },
      { status: 401, headers: { 'www-authenticate': 'Bearer realm="conveyor-feed"' } },
    );
  }
  const url = new URL(request.url);
  const limit = Number(url.searchParams.get('limit') ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return Response.json({ error: 'bad_request', message: `limit must be a whole number from 1 to ${MAX_LIMIT}` }, { status: 400 });
  }
  try {
    const page = await readFeed(db, { after: url.searchParams.get('after'), limit });
    const body = page.events.map((event) => `${JSON.stringify(event)}\n`).join('');
    return new Response(body, {
      headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-next-cursor': page.nextCursor ?? '', 'cache-control': 'no-store' },
    });
  } catch (error) {
    if (error instanceof DomainError) return Response.json({ error: error.kind.toLowerCase(), message: error.message }, { status: httpStatusOf[error.kind] });
    throw error;
  }
}
