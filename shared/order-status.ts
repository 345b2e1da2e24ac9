/**
 * An order's statuses, in lifecycle order. The transitions between them are the order state
 * machine's (server/orders/order-state-machine.ts); this list is what the schema's pg enum
 * and the console's filters and badges are built from.
 */
export const ORDER_STATUSES = ['PENDING_PAYMENT', 'PAID', 'FULFILLING', 'SHIPPED', 'CLOSED', 'REFUNDING', 'REFUNDED', 'REFUND_FAILED'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

/**
 * The statuses an order can get stuck in (the Orders screen's stuck view): an order in one of
 * them waits on a deadline or on a person. Only these are in the partial index the view walks.
 */
export const STUCK_STATUSES = ['PENDING_PAYMENT', 'PAID', 'FULFILLING', 'REFUNDING', 'REFUND_FAILED'] as const satisfies readonly OrderStatus[];

export type StuckStatus = (typeof STUCK_STATUSES)[number];
