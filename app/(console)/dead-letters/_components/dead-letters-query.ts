import { parseDateInput } from '@/components/format';

export const filterKeys = ['group', 'type', 'error', 'key', 'from', 'to', 'status'] as const;
export const statuses = ['dead', 'replayed', 'discarded'] as const;
export type Status = (typeof statuses)[number];
type Filters = Record<(typeof filterKeys)[number], string>;

export const statusOf = (filters: Filters): Status => ((statuses as readonly string[]).includes(filters.status) ? (filters.status as Status) : 'dead');

/** The narrowing the operator set (the status aside): what "all matching" acts on. */
export function narrowingOf(filters: Filters) {
  return {
    group: filters.group || undefined,
    eventType: filters.type || undefined,
    errorText: filters.error || undefined,
    key: filters.key || undefined,
    deadAfter: parseDateInput(filters.from),
    deadBefore: parseDateInput(filters.to),
  };
}

/** The list's input for the URL's filters: the page prefetches the first page with it, the table asks with it. */
export const listInput = (filters: Filters, cursor?: number) => ({ filter: { ...narrowingOf(filters), status: statusOf(filters) }, cursor, limit: 50 });
