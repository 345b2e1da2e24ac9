import { httpRequestDuration } from './metrics';

type RouteHandler<Args extends unknown[]> = (request: Request, ...rest: Args) => Promise<Response>;

/** Wraps a route handler so its requests show in /api/metrics by route, method and status. */
export function withRequestMetrics<Args extends unknown[]>(route: string, handler: RouteHandler<Args>): RouteHandler<Args> {
  return async (request, ...rest) => {
    const stopTimer = httpRequestDuration().startTimer({ route, method: request.method });
    try {
      const response = await handler(request, ...rest);
      stopTimer({ status: String(response.status) });
      return response;
    } catch (error) {
      stopTimer({ status: '500' });
      throw error;
    }
  };
}
