import { getDatabase } from '@/db/client';
import { handleFeedRequest } from '@/server/ops/feed-http';
import { answeringDatabaseOutage } from '@/server/database-unavailable';

export const dynamic = 'force-dynamic';

export const GET = answeringDatabaseOutage((request: Request) => handleFeedRequest(request, getDatabase()));
