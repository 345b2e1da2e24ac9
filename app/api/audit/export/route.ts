import { getDatabase } from '@/db/client';
import { sessionActor } from '@/server/auth/session-actor';
import { answerAuditExport } from '@/server/ops/export-audit-log';
import { withRequestMetrics } from '@/server/ops/http-metrics';

export const dynamic = 'force-dynamic';

/** GET /api/audit/export?from=…&to=…&format=csv|ndjson — admins only; see answerAuditExport. */
export const GET = withRequestMetrics('/api/audit/export', (request: Request) =>
  answerAuditExport(getDatabase(), { actor: () => sessionActor(request.headers), query: new URL(request.url).searchParams }),
);
