import { describe, expect, it } from 'vitest';
import { hasRole } from './roles';

describe('role hierarchy', () => {
  it('lets each role do what the roles before it may do', () => {
    expect(hasRole('admin', 'oncall')).toBe(true);
    expect(hasRole('oncall', 'support')).toBe(true);
    expect(hasRole('support', 'viewer')).toBe(true);
  });

  it('refuses a role what only later roles may do', () => {
    expect(hasRole('viewer', 'support')).toBe(false);
    expect(hasRole('support', 'oncall')).toBe(false);
    expect(hasRole('oncall', 'admin')).toBe(false);
  });
});
