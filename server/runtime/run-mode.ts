import { booleanSetting } from './settings';

export interface RunMode {
  demo: boolean;
  /** Why this mode, in words an operator can act on. */
  reason: string;
}

/**
 * Demo (demo users, catalog, traffic, simulators, development secrets allowed) or production
 * (real secrets required, demo accounts disabled). DEMO decides when set; otherwise the embedded
 * database means demo and an operator's DATABASE_URL means production, with or without
 * NODE_ENV=production (`next start` sets NODE_ENV=production on its own, so it cannot decide).
 */
export function runMode(): RunMode {
  const databaseUrl = Boolean(process.env.DATABASE_URL);
  if (process.env.DEMO !== undefined && process.env.DEMO !== '') {
    const demo = booleanSetting('DEMO', false);
    return { demo, reason: `DEMO=${process.env.DEMO}` };
  }
  if (databaseUrl) {
    const nodeEnv = process.env.NODE_ENV === 'production' ? 'NODE_ENV=production with ' : '';
    return { demo: false, reason: `${nodeEnv}DATABASE_URL set and DEMO unset` };
  }
  return { demo: true, reason: 'embedded database (DATABASE_URL unset) and DEMO unset; DEMO=false or a DATABASE_URL makes it production' };
}

/** The one line every process prints at start, saying which mode it runs in and why. */
export function announceRunMode(processName: string, mode: RunMode): void {
  console.log(`[${processName}] ${mode.demo ? 'demo' : 'production'} mode (${mode.reason})`);
}
