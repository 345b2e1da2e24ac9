import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { booleanSetting, pipelineLogSetting, portSetting, SettingError, wholeNumberSetting } from './settings';

const PIPELINE_LOG_VARIABLES = ['PIPELINE_LOG', 'NATS_URL', 'NATS_STREAM_REPLICAS', 'OUTBOX_RETENTION_HOURS'] as const;
const saved = Object.fromEntries(PIPELINE_LOG_VARIABLES.map((variable) => [variable, process.env[variable]]));

afterEach(() => {
  delete process.env.CONVEYOR_TEST_SETTING;
  for (const variable of PIPELINE_LOG_VARIABLES) {
    if (saved[variable] === undefined) delete process.env[variable];
    else process.env[variable] = saved[variable];
  }
});

describe('start-up settings', () => {
  it('take the default when unset and the value when it is a whole number in range', () => {
    expect(wholeNumberSetting('CONVEYOR_TEST_SETTING', 65_000)).toBe(65_000);
    process.env.CONVEYOR_TEST_SETTING = '1200';
    expect(wholeNumberSetting('CONVEYOR_TEST_SETTING', 65_000)).toBe(1_200);
  });

  it('refuse a value that is not a whole number, or out of range, naming the variable and an example', () => {
    for (const bad of ['12.5', '1e3', '-1', 'abc', '99999999999999999999']) {
      process.env.CONVEYOR_TEST_SETTING = bad;
      expect(() => portSetting('CONVEYOR_TEST_SETTING', 3001), bad).toThrow(SettingError);
      expect(() => portSetting('CONVEYOR_TEST_SETTING', 3001)).toThrow(`CONVEYOR_TEST_SETTING must be a whole number from 1 to 65535, e.g. 3001; got "${bad}"`);
    }
  });

  it('read on/off switches and refuse anything else', () => {
    process.env.CONVEYOR_TEST_SETTING = 'off';
    expect(booleanSetting('CONVEYOR_TEST_SETTING', true)).toBe(false);
    process.env.CONVEYOR_TEST_SETTING = 'maybe';
    expect(() => booleanSetting('CONVEYOR_TEST_SETTING', true)).toThrow('CONVEYOR_TEST_SETTING must be on or off (true/false); got "maybe"');
  });

  it('run the log on PostgreSQL unless PIPELINE_LOG=nats names its servers', () => {
    for (const variable of PIPELINE_LOG_VARIABLES) delete process.env[variable];
    expect(pipelineLogSetting()).toEqual({ kind: 'postgres' });
    process.env.PIPELINE_LOG = 'nats';
    expect(() => pipelineLogSetting()).toThrow(/NATS_URL must name the NATS servers when PIPELINE_LOG=nats/);
    process.env.NATS_URL = 'nats://10.0.0.1:4222, nats://10.0.0.2:4222,';
    process.env.NATS_STREAM_REPLICAS = '3';
    expect(pipelineLogSetting()).toEqual({ kind: 'nats', servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], replicas: 3, outboxRetentionHours: 168 });
    process.env.OUTBOX_RETENTION_HOURS = '0';
    expect(() => pipelineLogSetting()).toThrow('OUTBOX_RETENTION_HOURS must be a whole number from 1 to 8760, e.g. 168; got "0"');
    process.env.PIPELINE_LOG = 'kafka';
    expect(() => pipelineLogSetting()).toThrow('PIPELINE_LOG must be postgres or nats; got "kafka"');
  });

  it('stop `npm run order-api` with one line and exit 1, before it serves anything', () => {
    const run = spawnSync(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'server/cli/order-api.ts'], {
      env: { ...process.env, ORDER_API_PORT: 'eighty', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('[order-api] ORDER_API_PORT must be a whole number from 1 to 65535, e.g. 3001; got "eighty"');
  });
});
