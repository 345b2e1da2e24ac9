import type { PipelineLog } from '@/server/pipeline';

/**
 * Settings read from the environment at start. A value that cannot be used stops the process
 * with one line naming the variable, before anything is started.
 */

export class SettingError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

export function wholeNumberSetting(variable: string, fallback: number, options: { min?: number; max?: number } = {}): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new SettingError(variable, `${variable} must be a whole number from ${min} to ${max}, e.g. ${fallback}; got "${raw}"`);
  }
  return Number(raw);
}

/** MAX_BODY_BYTES: the largest request body the order API and the console read (default 1 MiB); larger ones are refused with 413. */
export function maxBodyBytesSetting(): number {
  return wholeNumberSetting('MAX_BODY_BYTES', 1024 * 1024, { min: 1024 });
}

export function portSetting(variable: string, fallback: number): number {
  return wholeNumberSetting(variable, fallback, { min: 1, max: 65_535 });
}

export function booleanSetting(variable: string, fallback: boolean): boolean {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'on'].includes(raw)) return true;
  if (['false', '0', 'off'].includes(raw)) return false;
  throw new SettingError(variable, `${variable} must be on or off (true/false); got "${raw}"`);
}

/**
 * PIPELINE_LOG: `postgres` (default, the log is a table) or `nats`, with NATS_URL (comma-separated
 * servers of one cluster), NATS_STREAM_REPLICAS (copies of each message; default 1, 3 on a
 * three-node cluster) and OUTBOX_RETENTION_HOURS (how long relayed rows stay for republishing,
 * default a week). Only the engine looks inside the value.
 */
export function pipelineLogSetting(): PipelineLog {
  const kind = process.env.PIPELINE_LOG || 'postgres';
  if (kind === 'postgres') return { kind: 'postgres' };
  if (kind !== 'nats') throw new SettingError('PIPELINE_LOG', `PIPELINE_LOG must be postgres or nats; got "${kind}"`);
  const servers = (process.env.NATS_URL ?? '').split(',').map((server) => server.trim()).filter(Boolean);
  if (servers.length === 0) {
    throw new SettingError('NATS_URL', 'NATS_URL must name the NATS servers when PIPELINE_LOG=nats, e.g. nats://127.0.0.1:4222,nats://127.0.0.1:4223');
  }
  return {
    kind: 'nats',
    servers,
    replicas: wholeNumberSetting('NATS_STREAM_REPLICAS', 1, { min: 1, max: 5 }),
    outboxRetentionHours: wholeNumberSetting('OUTBOX_RETENTION_HOURS', 7 * 24, { min: 1, max: 24 * 365 }),
  };
}
