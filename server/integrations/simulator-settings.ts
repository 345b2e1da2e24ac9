import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '@/db/client';
import { simulatorSettings, type SimulatorName, type SimulatorSettings } from '@/db/schema';
import { SIMULATOR_NAMES } from '@/shared/simulators';

export const SIMULATORS = SIMULATOR_NAMES;

export type FaultSettings = Omit<SimulatorSettings, 'updatedAt'>;

const rate = z.number().min(0).max(1);
export const updateSimulatorSettingsInput = z.object({
  simulator: z.enum(SIMULATORS),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  jitterMs: z.number().int().min(0).max(60_000).optional(),
  failureRate: rate.optional(),
  timeoutRate: rate.optional(),
  lostResponseRate: rate.optional(),
  rejectRate: rate.optional(),
});
export type UpdateSimulatorSettingsInput = z.input<typeof updateSimulatorSettingsInput>;

function healthy(simulator: SimulatorName): FaultSettings {
  return { simulator, latencyMs: 0, jitterMs: 0, failureRate: 0, timeoutRate: 0, lostResponseRate: 0, rejectRate: 0 };
}

/** Every simulator's settings; one that was never changed is healthy (no latency, no faults). */
export async function listSimulatorSettings(db: Executor): Promise<FaultSettings[]> {
  const rows = await db.select().from(simulatorSettings);
  return SIMULATORS.map((name) => {
    const row = rows.find((found) => found.simulator === name);
    return row ? { ...healthy(name), ...withoutTimestamp(row) } : healthy(name);
  });
}

function withoutTimestamp({ updatedAt: _updatedAt, ...settings }: SimulatorSettings): FaultSettings {
  return settings;
}

/** Changes some of a simulator's settings; fields left out keep their value. Returns the new settings. */
export async function updateSimulatorSettings(db: Executor, rawInput: UpdateSimulatorSettingsInput): Promise<FaultSettings> {
  const { simulator, ...changes } = updateSimulatorSettingsInput.parse(rawInput);
  const [row] = await db
    .insert(simulatorSettings)
    .values({ ...healthy(simulator), ...changes })
    .onConflictDoUpdate({ target: simulatorSettings.simulator, set: { ...changes, updatedAt: sql`now()` } })
    .returning();
  settingsCache.delete(db);
  return withoutTimestamp(row!);
}

/** Puts every simulator back to healthy. */
export async function resetSimulatorSettings(db: Executor): Promise<void> {
  await db.delete(simulatorSettings);
  settingsCache.delete(db);
}

const settingsCache = new WeakMap<Executor, { loadedAt: number; settings: Promise<FaultSettings[]> }>();

/**
 * The settings a simulator applies to a request. Read at most once per `maxAgeMs` (default
 * a second) per process, so the hot path does not query the table, and a change made in
 * any process is seen within that time.
 */
export async function currentFaultSettings(db: Executor, simulator: SimulatorName, maxAgeMs = 1_000): Promise<FaultSettings> {
  let cached = settingsCache.get(db);
  if (!cached || Date.now() - cached.loadedAt >= maxAgeMs) {
    cached = { loadedAt: Date.now(), settings: listSimulatorSettings(db) };
    settingsCache.set(db, cached);
    cached.settings.catch(() => settingsCache.delete(db));
  }
  return (await cached.settings).find((settings) => settings.simulator === simulator)!;
}
