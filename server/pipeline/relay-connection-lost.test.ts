import { describe, expect, it } from 'vitest';
import { isConnectionLost } from './relay';

describe('relay resigning after an error', () => {
  it('treats a closed, reset or shut-down session as lost, also when drizzle wraps it, so it writes nothing more to it', () => {
    expect(isConnectionLost(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }))).toBe(true);
    expect(isConnectionLost(new Error('Failed query', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
  });

  it('keeps a live session for an ordinary SQL error, so the leader lock is unlocked before the connection goes back to the pool', () => {
    expect(isConnectionLost(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(false);
    expect(isConnectionLost(new Error('boom'))).toBe(false);
  });
});
