import { ORDER_STATUSES, type OrderStatus } from '@/shared/order-status';

/**
 * Who moves an order along an edge: `pipeline` — a consumer or a third party's callback, with
 * nobody asking; `deadline` — the delayed payment timeout; `request` — the customer, the
 * payment provider's notification, or a person in the console.
 */
export type TransitionTrigger = 'pipeline' | 'deadline' | 'request';

/**
 * The order state machine: every status change a command makes, keyed by the command's event.
 * A command changes an order's status only through `transitionOrder` (server/orders/order.ts)
 * or, on the payment path's single statement, a guard built from this table.
 */
export const ORDER_TRANSITIONS = {
  /** The first payment notification of the right amount (recordPayment). */
  pay: { from: ['PENDING_PAYMENT'], to: 'PAID', trigger: 'request' },
  /** The customer or support cancels before payment (cancelOrder). */
  cancel: { from: ['PENDING_PAYMENT'], to: 'CLOSED', trigger: 'request' },
  /** The payment deadline passed (closeUnpaidOrder, on OrderPaymentTimeout). */
  timeout: { from: ['PENDING_PAYMENT'], to: 'CLOSED', trigger: 'deadline' },
  /** The warehouse accepted the fulfilment consumer's push (recordShipmentAccepted). */
  acceptShipment: { from: ['PAID'], to: 'FULFILLING', trigger: 'pipeline' },
  /** The warehouse's dispatch callback; it may overtake our record of the acceptance, hence PAID (recordDispatch). */
  dispatch: { from: ['PAID', 'FULFILLING'], to: 'SHIPPED', trigger: 'pipeline' },
  /** Support asks for a refund, or the fulfilment checks or the warehouse reject the order (requestRefund). */
  requestRefund: { from: ['PAID', 'FULFILLING', 'SHIPPED'], to: 'REFUNDING', trigger: 'request' },
  /** A payment arrived after the order closed: the money is accepted and refunded (recordPayment). */
  payAfterClose: { from: ['CLOSED'], to: 'REFUNDING', trigger: 'request' },
  /** The provider confirmed the refund (completeRefund, from the refunds consumer or reconciliation). */
  confirmRefund: { from: ['REFUNDING'], to: 'REFUNDED', trigger: 'pipeline' },
  /** The provider kept failing or refused (failRefund). */
  failRefund: { from: ['REFUNDING'], to: 'REFUND_FAILED', trigger: 'pipeline' },
  /** A person retries the failed refund with the provider (retryRefund). */
  retryRefund: { from: ['REFUND_FAILED'], to: 'REFUNDING', trigger: 'request' },
  /**
   * The failed refund was paid out after all: support settled it by hand at the provider
   * (markRefundDone), or reconciliation found the provider's refund (completeRefund).
   */
  settleRefund: { from: ['REFUND_FAILED'], to: 'REFUNDED', trigger: 'request' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus; trigger: TransitionTrigger }>;

export type OrderEvent = keyof typeof ORDER_TRANSITIONS;

/** The statuses an event applies to. */
export type StatusesFor<E extends OrderEvent> = (typeof ORDER_TRANSITIONS)[E]['from'][number];

export const ORDER_EVENTS = Object.keys(ORDER_TRANSITIONS) as OrderEvent[];

/** A status change the machine does not allow: a bug in the command that tried it, never a user error. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus | null,
    readonly event: OrderEvent | null,
  ) {
    super(
      event
        ? `Illegal order transition: ${event} applies to ${ORDER_TRANSITIONS[event].from.join(' or ')}, not ${from}.`
        : `Illegal order transition: ${from} → ${to}; from ${from} an order may become ${LEGAL_TRANSITIONS[from].join(' or ') || 'nothing (it is final)'}.`,
    );
    this.name = 'IllegalTransitionError';
  }
}

/** For each status, the statuses it may change to. */
export const LEGAL_TRANSITIONS = {} as Record<OrderStatus, readonly OrderStatus[]>;
for (const from of ORDER_STATUSES) {
  LEGAL_TRANSITIONS[from] = [...new Set(ORDER_EVENTS.filter((event) => canTransition(from, event)).map((event) => ORDER_TRANSITIONS[event].to))];
}

/** The status an order is created in. */
export const INITIAL_STATUS = 'PENDING_PAYMENT' satisfies OrderStatus;

/** Statuses with no way out. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((status) => LEGAL_TRANSITIONS[status].length === 0);

export function canTransition(from: OrderStatus, event: OrderEvent): boolean {
  return (ORDER_TRANSITIONS[event].from as readonly OrderStatus[]).includes(from);
}

/** The status `event` moves an order in `from` to; throws IllegalTransitionError when it does not apply. */
export function nextStatus(from: OrderStatus, event: OrderEvent): OrderStatus {
  if (!canTransition(from, event)) throw new IllegalTransitionError(from, null, event);
  return ORDER_TRANSITIONS[event].to;
}

export function isLegalTransition(from: OrderStatus, to: OrderStatus): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!isLegalTransition(from, to)) throw new IllegalTransitionError(from, to, null);
}

/** Every status reachable from `from` through the given events, `from` included. */
function reachableThrough(from: OrderStatus, events: readonly OrderEvent[]): OrderStatus[] {
  const reached: OrderStatus[] = [from];
  for (let index = 0; index < reached.length; index++) {
    for (const event of events) {
      const to = ORDER_TRANSITIONS[event].to;
      if (canTransition(reached[index]!, event) && !reached.includes(to)) reached.push(to);
    }
  }
  return reached;
}

/** Paid, and the goods are the customer's: PAID and where fulfilment takes it (FULFILLING, SHIPPED). */
export const PAID_STATUSES: readonly OrderStatus[] = reachableThrough('PAID', ['acceptShipment', 'dispatch']);

/** A refund of the order's payment has started: REFUNDING and where the refund takes it. */
export const REFUND_STATUSES: readonly OrderStatus[] = reachableThrough('REFUNDING', ['confirmRefund', 'failRefund', 'retryRefund', 'settleRefund']);

/** Statuses the pipeline moves on by itself; an order that stays in one for long is stuck. */
export const SETTLING_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((status) =>
  ORDER_EVENTS.some((event) => ORDER_TRANSITIONS[event].trigger === 'pipeline' && canTransition(status, event)),
);
