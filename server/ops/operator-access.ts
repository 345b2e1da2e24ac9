import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from './api-tokens';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether the request carries `Authorization: Bearer <metricsToken>`; never when no token is configured. Compared as digests, in constant time. */
export function carriesMetricsToken(authorization: string | null, metricsToken: string | null): boolean {
  const sent = bearerToken(authorization);
  return metricsToken !== null && sent !== null && timingSafeEqual(digest(sent), digest(metricsToken));
}

/** Metrics are open while no METRICS_TOKEN is configured (a local Prometheus, the demo); with one, only its bearer reads them. */
export function mayReadMetrics(authorization: string | null, metricsToken: string | null): boolean {
  return metricsToken === null || carriesMetricsToken(authorization, metricsToken);
}

/** METRICS_TOKEN, or null when unset. */
export function metricsTokenSetting(): string | null {
  return process.env.METRICS_TOKEN || null;
}

export const METRICS_UNAUTHORIZED_MESSAGE = 'Send Authorization: Bearer <METRICS_TOKEN> (the token this server was started with) to read its metrics.';

/** What anonymous callers learn from /api/health: up or not, nothing about why. */
export function anonymousHealth(health: { ok: boolean }): { ok: boolean } {
  return { ok: health.ok };
}
