/**
 * The peak shaver's pace: at most `perSecond` orders a second from this process, however many
 * attempts were admitted, so the order tables see a steady write rate. `take(n)` resolves when
 * n more orders may be written (a batch larger than one second's allowance waits its share).
 */
export interface OrderRate {
  take(orders: number): Promise<void>;
}

export function createOrderRate(perSecond: number, now: () => number = Date.now): OrderRate {
  // The time before which the orders allowed so far are spread: one every 1000/perSecond ms.
  let nextFreeAt = 0;
  return {
    async take(orders) {
      const at = now();
      const startAt = Math.max(at, nextFreeAt);
      nextFreeAt = startAt + (orders * 1000) / perSecond;
      // A batch may start once the slot of its first order has come; it then holds the later slots.
      const wait = startAt - at;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}
