import { getSimulators } from '@/server/integrations/simulators';

export const dynamic = 'force-dynamic';

export function GET(request: Request) {
  return getSimulators().handler(request);
}

export function POST(request: Request) {
  return getSimulators().handler(request);
}
