import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { z } from 'zod';
import { SIMULATOR_NAMES, type SimulatorName } from '@/shared/simulators';
import { countCall } from './call-tally';

/**
 * The HTTP plumbing shared by the third-party clients. Failures come out as one of three
 * classes, because callers react differently: a timeout may have been applied (retry with
 * the same idempotency key), a status is the third party's answer (4xx: it refused; 5xx:
 * retry), a network error never reached it.
 */

/** The third parties; each has a built-in simulator of the same name. */
export type IntegrationName = SimulatorName;

export class IntegrationError extends Error {
  constructor(
    readonly integration: IntegrationName,
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${integration} ${operation}: ${message}`, options);
    this.name = 'IntegrationError';
  }
}

export class IntegrationTimeoutError extends IntegrationError {
  constructor(integration: IntegrationName, operation: string, readonly timeoutMs: number) {
    super(integration, operation, `no answer within ${timeoutMs} ms`);
    this.name = 'IntegrationTimeoutError';
  }
}

export class IntegrationHttpError extends IntegrationError {
  constructor(
    integration: IntegrationName,
    operation: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : JSON.stringify(body);
    super(integration, operation, `HTTP ${status}: ${detail}`);
    this.name = 'IntegrationHttpError';
  }

  /** The third party understood the request and refused it: retrying the same request will not help. */
  get refused(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export class IntegrationNetworkError extends IntegrationError {
  constructor(integration: IntegrationName, operation: string, cause: unknown) {
    super(integration, operation, `network error: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`, { cause });
    this.name = 'IntegrationNetworkError';
  }
}

export interface IntegrationEndpoint {
  name: IntegrationName;
  baseUrl: string;
  timeoutMs: number;
}

const simulatorPaths: Record<IntegrationName, string> = { payment: 'payment', wms: 'wms', logistics: 'logistics', sms: 'sms' };
const urlVariables: Record<IntegrationName, string> = { payment: 'PAYMENT_PROVIDER_URL', wms: 'WMS_URL', logistics: 'LOGISTICS_URL', sms: 'SMS_GATEWAY_URL' };

/** The order API's base URL: where third parties call back, and where the built-in simulators are served. */
export function orderApiUrl(): string {
  return process.env.ORDER_API_URL ?? `http://127.0.0.1:${process.env.ORDER_API_PORT ?? 3001}`;
}

/**
 * The third parties the built-in simulators stand in for: those whose *_URL is unset or names
 * the simulator itself. A simulator is never served in place of a real third party.
 */
export function simulatedIntegrations(): IntegrationName[] {
  return SIMULATOR_NAMES.filter(isBuiltInSimulator);
}

/** Whether this third party is the built-in simulator (its *_URL unset or naming it), so its records are in our database. */
export function isBuiltInSimulator(name: IntegrationName): boolean {
  const configured = process.env[urlVariables[name]];
  return !configured || configured.replace(/\/+$/, '') === `${orderApiUrl()}/api/sim/${simulatorPaths[name]}`;
}

/** Base URL from PAYMENT_PROVIDER_URL / WMS_URL / LOGISTICS_URL / SMS_GATEWAY_URL, else the built-in simulator. */
export function integrationEndpoint(name: IntegrationName): IntegrationEndpoint {
  return {
    name,
    baseUrl: process.env[urlVariables[name]] ?? `${orderApiUrl()}/api/sim/${simulatorPaths[name]}`,
    timeoutMs: Number(process.env.INTEGRATION_TIMEOUT_MS) || 2_000,
  };
}

type IntegrationRequest<T> = { operation: string; method: 'GET' | 'POST'; path: string; body?: unknown; idempotencyKey?: string; response: z.ZodType<T> };

const tracer = trace.getTracer('conveyor-integrations');

/**
 * How a call ended, for its span: `ok`, `refused` (a 4xx retrying will not change), or one
 * the caller retries with the same idempotency key: `failed` (5xx, 408, 429, an unreadable
 * answer), `timeout`, `network`.
 */
type CallOutcome = 'ok' | 'refused' | 'failed' | 'timeout' | 'network';

function outcomeOf(error: unknown): CallOutcome {
  if (error instanceof IntegrationTimeoutError) return 'timeout';
  if (error instanceof IntegrationNetworkError) return 'network';
  if (error instanceof IntegrationHttpError && error.refused) return 'refused';
  return 'failed';
}

/** One call to a third party, in a client span carrying its W3C context to the third party, counted for its observed error rate. */
export function callIntegration<T>(endpoint: IntegrationEndpoint, request: IntegrationRequest<T>): Promise<T> {
  return tracer.startActiveSpan(
    `${endpoint.name} ${request.operation}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.full': `${endpoint.baseUrl}${request.path}`,
        'conveyor.integration.name': endpoint.name,
        'conveyor.integration.operation': request.operation,
        'conveyor.integration.timeout_ms': endpoint.timeoutMs,
      },
    },
    async (span) => {
      try {
        const answer = await sendIntegrationRequest(endpoint, request, span);
        span.setAttribute('conveyor.integration.outcome', 'ok' satisfies CallOutcome);
        countCall(endpoint.name, { ok: true });
        return answer;
      } catch (error) {
        const outcome = outcomeOf(error);
        span.setAttribute('conveyor.integration.outcome', outcome);
        span.setAttribute('error.type', outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        countCall(endpoint.name, { ok: false, error: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

async function sendIntegrationRequest<T>(endpoint: IntegrationEndpoint, request: IntegrationRequest<T>, span: Span): Promise<T> {
  const { name, timeoutMs } = endpoint;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
  if (span.isRecording()) propagation.inject(context.active(), headers);

  let response: Response;
  try {
    response = await fetch(`${endpoint.baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) throw new IntegrationTimeoutError(name, request.operation, timeoutMs);
    throw new IntegrationNetworkError(name, request.operation, error);
  }

  span.setAttribute('http.response.status_code', response.status);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) throw new IntegrationTimeoutError(name, request.operation, timeoutMs);
    body = null;
  }
  if (!response.ok) throw new IntegrationHttpError(name, request.operation, response.status, body);
  const parsed = request.response.safeParse(body);
  if (!parsed.success) throw new IntegrationError(name, request.operation, `unexpected response: ${parsed.error.message}`);
  return parsed.data;
}
