/**
 * The consumer group of each downstream system, named once: the consumer definitions use
 * these, and so does the domain when it asks the pipeline where a delivery is.
 */
export const POINTS_GROUP = 'points';
export const COUPONS_GROUP = 'coupons';
export const NOTIFICATIONS_GROUP = 'notifications';
export const FULFILMENT_GROUP = 'fulfilment';
export const REFUNDS_GROUP = 'refunds';
export const TIMEOUTS_GROUP = 'timeouts';
export const ANALYTICS_GROUP = 'analytics';
/** Flash sales: admitted attempts become orders at a capped rate (peak shaving). */
export const SALE_ORDERS_GROUP = 'sale-orders';
/** Flash sales: a sale's start and end times. */
export const SALE_CLOCK_GROUP = 'sale-clock';
