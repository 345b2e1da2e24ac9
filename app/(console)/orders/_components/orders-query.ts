import { parseDateInput } from '@/components/format';
import { isOrderStatus } from '@/shared/order-status';

export const searchFilterKeys = ['ids', 'user', 'status', 'from', 'to'] as const;
export const stuckFilterKeys = ['stage', 'user'] as const;
export type Stage = 'unpaid past deadline' | 'paid, not at warehouse' | 'fulfilling, not dispatched' | 'refunding too long' | 'refund failed';

/** Order ids pasted from a ticket or a spreadsheet: separated by spaces, commas, semicolons or lines. */
export function parseIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((id) => id.trim()).filter(Boolean))].slice(0, 200);
}

/** The search's input for the URL's filters: the page prefetches the first page with it, the table asks with it. */
export function searchInput(filters: Record<(typeof searchFilterKeys)[number], string>, cursor?: string) {
  const ids = parseIds(filters.ids);
  return {
    orderIds: ids.length ? ids : undefined,
    userId: filters.user || undefined,
    status: isOrderStatus(filters.status) ? filters.status : undefined,
    createdFrom: parseDateInput(filters.from),
    createdTo: parseDateInput(filters.to),
    cursor,
    limit: 50,
  };
}

export const stuckInput = (filters: Record<(typeof stuckFilterKeys)[number], string>, cursor?: string) => ({
  stage: (filters.stage || undefined) as Stage | undefined,
  userId: filters.user || undefined,
  cursor,
  limit: 50,
});
