import { toNextJsHandler } from 'better-auth/next-js';
import { answeringDatabaseOutage } from '@/server/http/http-answer';
import { getAuth } from '@/server/auth/auth';

export const dynamic = 'force-dynamic';

export const GET = answeringDatabaseOutage((request: Request) => toNextJsHandler(getAuth()).GET(request));
export const POST = answeringDatabaseOutage((request: Request) => toNextJsHandler(getAuth()).POST(request));
