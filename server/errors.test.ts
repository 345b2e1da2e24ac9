import { describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from './errors';

describe('isDomainError', () => {
  it('recognises a domain error made by another bundle copy of the class, by its name and kind', () => {
    const fromAnotherCopy = Object.assign(new Error('The database is not reachable'), { name: 'DomainError', kind: 'SERVICE_UNAVAILABLE' });
    expect(fromAnotherCopy instanceof DomainError).toBe(false);
    expect(isDomainError(fromAnotherCopy, 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(isDomainError(fromAnotherCopy, 'CONFLICT')).toBe(false);
    expect(isDomainError(new DomainError('NOT_FOUND', 'no such order'))).toBe(true);
    expect(isDomainError(new Error('boom'))).toBe(false);
    expect(isDomainError(Object.assign(new Error('x'), { name: 'DomainError' }))).toBe(false);
  });
});
