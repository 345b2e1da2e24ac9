export const filterKeys = ['group', 'type', 'key'] as const;

/** The list's input for the URL's filters: the page prefetches the first page with it, the table asks with it. */
export const listInput = (filters: Record<(typeof filterKeys)[number], string>, cursor?: number) => ({
  filter: { group: filters.group || undefined, eventType: filters.type || undefined, key: filters.key || undefined },
  cursor,
  limit: 50,
});
