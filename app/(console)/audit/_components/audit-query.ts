import { parseDateInput } from '@/components/format';

export const filterKeys = ['actor', 'action', 'target', 'outcome', 'from', 'to'] as const;
export const outcomes = ['ok', 'denied', 'error', 'pending'] as const;

/** The log's input for the URL's filters: the page prefetches the first page with it, the table asks with it. */
export function listInput(filters: Record<(typeof filterKeys)[number], string>, cursor?: number) {
  return {
    actor: filters.actor || undefined,
    action: filters.action || undefined,
    target: filters.target || undefined,
    outcome: (outcomes as readonly string[]).includes(filters.outcome) ? (filters.outcome as (typeof outcomes)[number]) : undefined,
    from: parseDateInput(filters.from),
    to: parseDateInput(filters.to),
    cursor,
    limit: 50,
  };
}
