import { describe, expect, it } from 'vitest';
import { DATABASE_UNAVAILABLE_MESSAGE } from '@/server/errors';
import { IntegrationNetworkError } from '@/server/integrations/integration-client';
import { reconciliationFailure } from './reconcile-errors';

const refusedSocket = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

describe('what an operator is told when a reconciliation action fails', () => {
  it('names the database when PostgreSQL could not be reached, not "something went wrong on our side"', () => {
    const failure = reconciliationFailure(new Error('Failed query: select 1', { cause: refusedSocket('127.0.0.1:5432') }), 'applying the fix to diff 3');
    expect(failure).toMatchObject({ kind: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE_MESSAGE });
  });

  it('names the third party when it could not be reached, though its socket error has the same code', () => {
    const unreachable = new IntegrationNetworkError('payment', 'paymentsForOrder', new TypeError('fetch failed', { cause: refusedSocket('127.0.0.1:3000') }));
    const failure = reconciliationFailure(unreachable, 'applying the fix to diff 3');
    expect(failure.kind).toBe('SERVICE_UNAVAILABLE');
    expect(failure.message).toMatch(/^The payment provider did not answer in time while applying the fix to diff 3\./);
  });
});
