import type { Database } from '@/db/client';
import type { Order } from '@/db/schema';
import { IntegrationHttpError } from '@/server/integrations/integration-client';
import { createPaymentClient, type PaymentClient } from '@/server/integrations/payment-client';
import { createWmsClient, type WmsClient } from '@/server/integrations/wms-client';
import { orderApiUrl } from '@/server/integrations/integration-client';

/** The fixes reconciliation knows to be right; each goes through an order command. */
export const RECONCILIATION_FIXES = ['apply_payment', 'repush_shipment', 'cancel_at_wms', 'settle_refund'] as const;
export type ReconciliationFix = (typeof RECONCILIATION_FIXES)[number];

export const DIFF_KINDS = {
  payment_not_recorded: 'Provider has a payment we never recorded (missed notification)',
  payment_amount_mismatch: 'Payment amount differs from the provider',
  payment_missing_at_provider: 'We recorded a payment the provider does not have',
  shipment_missing_at_wms: 'Paid order unknown to the warehouse',
  shipment_live_after_refund: 'Warehouse shipment still live for a refunded or closed order',
  shipment_status_mismatch: 'Shipment status differs from the warehouse',
  refund_missing_at_provider: 'Refunded on our side, no refund at the provider',
  refund_not_recorded: 'Provider refunded, our order is not REFUNDED',
  refund_amount_mismatch: 'Refund amount differs from the provider',
} as const;
export type DiffKind = keyof typeof DIFF_KINDS;

/** One difference found for an order; `subject` tells apart several of a kind in one order. */
export interface Finding {
  kind: DiffKind;
  orderId: string;
  subject: string;
  ours: Record<string, unknown>;
  theirs: Record<string, unknown>;
  summary: string;
  fix: ReconciliationFix | null;
}

export interface ReconcileDependencies {
  payment: PaymentClient;
  wms: WmsClient;
  /** Base URL the warehouse calls back, for a re-push. */
  callbackBaseUrl: () => string;
}

export interface ReconcileSettings {
  /** A paid order gets this long to reach the warehouse before it counts as missing there. */
  wmsGraceMs: number;
  /** Changes younger than this are left to the next run: notifications and callbacks may be in flight. */
  settleMs: number;
  /** The first run (and any run after a long pause) looks back this far. */
  lookbackMs: number;
  /** Orders compared per run at most; the window ends early when there are more. */
  maxOrders: number;
}

export function reconcileSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ReconcileSettings {
  const minutes = (name: string, fallback: number) => Number(env[name] ?? fallback) * 60_000;
  return {
    wmsGraceMs: minutes('RECONCILE_WMS_GRACE_MINUTES', 5),
    settleMs: Number(env.RECONCILE_SETTLE_SECONDS ?? 30) * 1_000,
    lookbackMs: minutes('RECONCILE_LOOKBACK_MINUTES', 24 * 60),
    maxOrders: Number(env.RECONCILE_MAX_ORDERS ?? 2_000),
  };
}

export function defaultReconcileDependencies(): ReconcileDependencies {
  return { payment: createPaymentClient(), wms: createWmsClient(), callbackBaseUrl: orderApiUrl };
}

export interface ReconcileContext extends ReconcileDependencies {
  db: Database;
  settings: ReconcileSettings;
  now: Date;
}

export type OrderToCheck = Pick<Order, 'id' | 'status' | 'totalCents' | 'paymentId' | 'paidAt' | 'updatedAt'>;

/** A 404 from a third party means "I have no such thing", which is an answer, not a failure. */
export async function orNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof IntegrationHttpError && error.status === 404) return null;
    throw error;
  }
}
