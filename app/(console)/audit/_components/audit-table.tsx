'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { FilterForm } from '@/components/filter-form';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { useUrlFilters } from '@/components/use-url-filters';
import { filterKeys, listInput, outcomes } from './audit-query';


export function AuditTable() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const pages = useCursorStack<number>();
  const query = useQuery({
    ...trpc.audit.list.queryOptions(listInput(filters, pages.cursor)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  return (
    <>
      <FilterForm filters={filters} setFilters={setFilters} pages={pages} updatedAt={query.dataUpdatedAt}>
        <label className="field">
          Actor
          <input name="actor" defaultValue={filters.actor} placeholder="email contains" />
        </label>
        <label className="field">
          Action
          <input name="action" defaultValue={filters.action} placeholder="e.g. users.changeRole" />
        </label>
        <label className="field">
          Target
          <input name="target" defaultValue={filters.target} placeholder="exact id" />
        </label>
        <label className="field">
          Outcome
          <select name="outcome" defaultValue={filters.outcome}>
            <option value="">any</option>
            {outcomes.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label className="field">
          From
          <input name="from" type="datetime-local" defaultValue={filters.from} />
        </label>
        <label className="field">
          To
          <input name="to" type="datetime-local" defaultValue={filters.to} />
        </label>
      </FilterForm>

      {query.isPending ? (
        <LoadingRows />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.entries.length === 0 ? (
        <EmptyState title="No audit entries match">Actions taken in the console appear here, newest first.</EmptyState>
      ) : (
        <>
          <table className="data" data-testid="audit-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Reason</th>
                <th>Outcome</th>
              </tr>
            </thead>
            <tbody>
              {query.data.entries.map((entry) => (
                <tr key={entry.id}>
                  <td className="mono">{entry.at.toLocaleString()}</td>
                  <td>
                    {entry.actorEmail ?? <span className="muted">anonymous</span>}
                    {entry.actorRole && <div className="muted">{entry.actorRole}</div>}
                  </td>
                  <td className="mono">{entry.action}</td>
                  <td className="mono">{entry.target ?? '—'}</td>
                  <td>{entry.reason ?? <span className="muted">—</span>}</td>
                  <td>
                    <span className={`badge ${entry.outcome}`}>{entry.outcome}</span>
                    {entry.message && <div className="muted">{entry.message}</div>}
                    {/* Sent to admins only, with secrets already removed (see redactSecrets). */}
                    {entry.input != null && (
                      <details>
                        <summary className="muted">input</summary>
                        <pre className="mono">{JSON.stringify(entry.input, null, 2)}</pre>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
        </>
      )}
    </>
  );
}
