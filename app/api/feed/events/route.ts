import { getDatabase } from '@/db/client';
import { handleFeedRequest } from '@/server/ops/feed-http';

export const dynamic = 'force-dynamic';

export function GET(request: Request) {
  return handleFeedRequest(request, getDatabase());
}
