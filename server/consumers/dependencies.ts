import { orderApiUrl } from '@/server/integrations/integration-client';
import { createPaymentClient, type PaymentClient } from '@/server/integrations/payment-client';
import { createSmsClient, type SmsClient } from '@/server/integrations/sms-client';
import { createWmsClient, type WmsClient } from '@/server/integrations/wms-client';
import type { BackoffPolicy } from '@/server/pipeline';

/** What the consumers reach outside the database. Tests point these at simulators on a test port. */
export interface ConsumerDependencies {
  payment: PaymentClient;
  wms: WmsClient;
  sms: SmsClient;
  /** Base URL the warehouse calls back (…/api/wms/callback). */
  callbackBaseUrl: () => string;
  /** Retry schedule of the groups that call third parties. */
  backoff?: BackoffPolicy;
  /** Provider refund attempts before the refund is REFUND_FAILED (default 6). */
  refundAttempts?: number;
  /** Orders per second this process creates from flash-sale attempts (default SALE_ORDERS_PER_SECOND). */
  saleOrdersPerSecond?: number;
}

export function defaultConsumerDependencies(): ConsumerDependencies {
  return { payment: createPaymentClient(), wms: createWmsClient(), sms: createSmsClient(), callbackBaseUrl: orderApiUrl };
}
