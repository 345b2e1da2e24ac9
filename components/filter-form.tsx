'use client';

import type { FormEvent, ReactNode } from 'react';
import { UpdatedAgo } from './updated-ago';

export interface FilterFormProps<Key extends string> {
  /** The filters kept in the URL (useUrlFilters); the form holds a field named after each key. */
  filters: Record<Key, string>;
  setFilters(next: Record<Key, string>): void;
  /** Filter and Clear both go back to the first page. */
  pages: { reset(): void };
  /** Called on Filter only, not on Clear: e.g. to drop the rows the operator had ticked. */
  onApply?(): void;
  /** Rewrites the submitted values before they go into the URL, e.g. pasted ids into one list. */
  normalize?(values: Record<Key, string>): Record<Key, string>;
  submitLabel?: string;
  /** When the table's data was fetched, for "updated 3 s ago". */
  updatedAt: number;
  /** The fields. */
  children: ReactNode;
}

/** The filter bar above a console table: its fields, Filter and Clear, and how fresh the table is. */
export function FilterForm<Key extends string>({ filters, setFilters, pages, onApply, normalize, submitLabel = 'Filter', updatedAt, children }: FilterFormProps<Key>) {
  const keys = Object.keys(filters) as Key[];

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = Object.fromEntries(keys.map((key) => [key, String(form.get(key) ?? '').trim()])) as Record<Key, string>;
    pages.reset();
    onApply?.();
    setFilters(normalize ? normalize(values) : values);
  }

  return (
    // Keyed by the filters, so the fields show the URL again after Clear or back/forward.
    <form className="filters panel" onSubmit={apply} key={JSON.stringify(filters)}>
      {children}
      <button className="primary" type="submit">
        {submitLabel}
      </button>
      <button type="button" onClick={() => (pages.reset(), setFilters(Object.fromEntries(keys.map((key) => [key, ''])) as Record<Key, string>))}>
        Clear
      </button>
      <span className="spacer" />
      <UpdatedAgo at={updatedAt} />
    </form>
  );
}
