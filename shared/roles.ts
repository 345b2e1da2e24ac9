/** Ordered from least to most trusted: each role includes every role before it. */
export const roles = ['viewer', 'support', 'oncall', 'admin'] as const;

export type Role = (typeof roles)[number];

export function hasRole(actual: Role, required: Role): boolean {
  return roles.indexOf(actual) >= roles.indexOf(required);
}

export const roleDescriptions: Record<Role, string> = {
  viewer: 'Reads every screen',
  support: 'Viewer, plus order compensations',
  oncall: 'Support, plus replays, retries and offsets',
  admin: 'On-call, plus users and settings',
};

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
