/** A page's searchParams as Next.js hands them to a server component. */
export type SearchParamsRecord = Record<string, string | string[] | undefined>;

/**
 * The filters a screen keeps in its URL, read the same way on the server (to prefetch the
 * screen's first page) and in the browser, so both ask for the same query: a missing filter is ''.
 */
export function readUrlFilters<Key extends string>(keys: readonly Key[], get: (key: Key) => string | null | undefined): Record<Key, string> {
  return Object.fromEntries(keys.map((key) => [key, get(key) ?? ''])) as Record<Key, string>;
}

/** readUrlFilters' getter over a server component's searchParams: the first value of a repeated key, as URLSearchParams.get gives. */
export function searchParamGetter(params: SearchParamsRecord) {
  return (key: string) => {
    const value = params[key];
    return Array.isArray(value) ? value[0] : value;
  };
}
