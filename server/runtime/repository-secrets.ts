import { demoUsers } from '@/server/auth/seed-users';
import { DEMO_PAYMENT_WEBHOOK_SECRET, DEMO_WMS_WEBHOOK_SECRET } from '@/server/integrations/webhook-signature';

/**
 * Every secret-like value written in this repository: development fallbacks, the embedded
 * server's password, demo passwords and the secrets tests set. Anyone can read them, so a
 * production process refuses to start with any of them (see production-checks.ts).
 * repository-secrets.test.ts fails when a literal given to one of these variables elsewhere in
 * the repository is missing here, so the list stays complete as code is added.
 */
export const REPOSITORY_SECRET_VALUES: readonly string[] = [
  DEMO_PAYMENT_WEBHOOK_SECRET,
  DEMO_WMS_WEBHOOK_SECRET,
  // The home-made scheme's development secrets, before Standard Webhooks.
  'conveyor-dev-payment-secret',
  'conveyor-dev-wms-secret',
  // The embedded server's bootstrap password (db/embedded.ts).
  'conveyor',
  ...demoUsers.map((user) => user.password),
  'test-secret-test-secret-test-secret-0123',
  'test-secret-test-secret-test-secret-0456',
  'test-secret-test-secret-test-secret-0789',
  'metrics-health-test-auth-secret-0123456789',
  'database-unavailable-test-secret-0123456789',
];

export function isRepositorySecret(value: string): boolean {
  return REPOSITORY_SECRET_VALUES.includes(value.trim());
}
