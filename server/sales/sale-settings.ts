import { wholeNumberSetting } from '@/server/runtime/settings';

/** SALE_APPROVAL_UNITS: arming a sale of more units than this waits for a second person (default 1,000). */
export function saleApprovalUnits(): number {
  return wholeNumberSetting('SALE_APPROVAL_UNITS', 1_000);
}

/** SALE_SHARDS: stock counters a sale's units are split over when it is armed (default 8). */
export function saleShardCount(): number {
  return wholeNumberSetting('SALE_SHARDS', 8, { min: 1, max: 256 });
}

/** SALE_PAYMENT_TIMEOUT_MS: how long an admitted buyer has to pay (default 15 minutes). */
export function salePaymentTimeoutMs(): number {
  return wholeNumberSetting('SALE_PAYMENT_TIMEOUT_MS', 15 * 60_000, { min: 1_000, max: 24 * 60 * 60_000 });
}

/** SALE_POOL_SIZE: connections of the order API's sale pool, apart from normal checkout's (default 4). */
export function salePoolSize(): number {
  return wholeNumberSetting('SALE_POOL_SIZE', 4, { min: 1, max: 100 });
}

/** SALE_ORDERS_PER_SECOND: orders a worker process creates from admitted attempts per second at most (default 500). */
export function saleOrdersPerSecond(): number {
  return wholeNumberSetting('SALE_ORDERS_PER_SECOND', 500, { min: 1, max: 100_000 });
}

/**
 * SALE_DOOR_QUEUE: attempts an order-API process lets wait for a decision before it answers new
 * ones `throttled` (default 1,000: two statements' worth, so a waiting attempt is decided within
 * about two statements' time).
 */
export function saleDoorQueue(): number {
  return wholeNumberSetting('SALE_DOOR_QUEUE', 1_000, { min: 1, max: 1_000_000 });
}

/** SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND: attempts one client address may send per second before it is throttled (0: no limit; default 10). */
export function saleAttemptsPerAddressPerSecond(): number {
  return wholeNumberSetting('SALE_ATTEMPTS_PER_ADDRESS_PER_SECOND', 10, { max: 1_000_000 });
}
