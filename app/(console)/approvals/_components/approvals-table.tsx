'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Approval } from '@/db/schema';
import { useActor } from '@/components/actor';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { EmptyState } from '@/components/empty-state';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import { hasRole } from '@/shared/roles';

const statuses = ['pending', 'executed', 'rejected', 'failed', 'expired', 'executing'] as const;
type Decision = { approval: Approval; verdict: 'approve' | 'reject' };

export function ApprovalsTable() {
  const trpc = useTRPC();
  const actor = useActor();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useUrlFilters(['status'] as const);
  const status = (statuses as readonly string[]).includes(filters.status) ? (filters.status as Approval['status']) : 'pending';
  const pages = useCursorStack<number>();
  const [decision, setDecision] = useState<Decision | null>(null);
  const query = useQuery({
    ...trpc.approvals.list.queryOptions({ status, cursor: pages.cursor, limit: 50 }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const onSuccess = async () => {
    setDecision(null);
    await queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() });
  };
  const approve = useMutation(trpc.approvals.approve.mutationOptions({ onSuccess }));
  const reject = useMutation(trpc.approvals.reject.mutationOptions({ onSuccess }));
  const deciding = decision?.verdict === 'approve' ? approve : reject;

  return (
    <>
      <div className="filters panel">
        <label className="field">
          Status
          <select
            value={status}
            onChange={(event) => {
              pages.reset();
              setFilters({ status: event.target.value });
            }}
          >
            {statuses.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      {query.isPending ? (
        <LoadingRows />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.approvals.length === 0 ? (
        <EmptyState title={`No ${status} requests`}>Requests appear here when someone asks for an action that needs a second person.</EmptyState>
      ) : (
        <>
          <table className="data" data-testid="approvals-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Action</th>
                <th>Requested by</th>
                <th>Reason</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {query.data.approvals.map((approval) => {
                const mine = approval.requestedById === actor?.id;
                const mayDecide = approval.status === 'pending' && !mine && actor !== null && hasRole(actor.role, approval.requiredRole);
                return (
                  <tr key={approval.id}>
                    <td className="mono">{approval.id}</td>
                    <td>
                      <strong>{approval.summary}</strong>
                      <div className="mono muted">{approval.action}</div>
                    </td>
                    <td>
                      {approval.requestedByEmail}
                      <div className="muted">{approval.requestedAt.toLocaleString()}</div>
                      {approval.status === 'pending' && <div className="muted">expires {approval.expiresAt.toLocaleString()}</div>}
                    </td>
                    <td>{approval.reason}</td>
                    <td>
                      <span className={`badge ${approval.status === 'executed' ? 'ok' : approval.status === 'pending' ? 'pending' : 'error'}`}>{approval.status}</span>
                      {approval.decidedByEmail && <div className="muted">by {approval.decidedByEmail}</div>}
                      {approval.error && <div className="muted">{approval.error}</div>}
                    </td>
                    <td>
                      {mayDecide && (
                        <div className="row">
                          <button type="button" className="primary" onClick={() => setDecision({ approval, verdict: 'approve' })}>
                            Approve and run
                          </button>
                          <button type="button" onClick={() => setDecision({ approval, verdict: 'reject' })}>
                            Reject
                          </button>
                        </div>
                      )}
                      {approval.status === 'pending' && mine && <span className="muted">waiting for someone else</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
        </>
      )}
      <ReasonDialog
        open={decision !== null}
        title={decision?.verdict === 'approve' ? 'Approve and run' : 'Reject request'}
        preview={
          decision && (
            <>
              {decision.verdict === 'approve' ? 'Runs now, as requested by ' : 'Refuses the request of '}
              <strong>{decision.approval.requestedByEmail}</strong>: {decision.approval.summary}.
            </>
          )
        }
        confirmLabel={decision?.verdict === 'approve' ? 'Approve and run' : 'Reject'}
        danger={decision?.verdict === 'approve'}
        busy={deciding.isPending}
        error={deciding.error?.message ?? null}
        onCancel={() => setDecision(null)}
        onConfirm={(reason, requestId) => decision && deciding.mutate({ approvalId: decision.approval.id, reason, requestId })}
      />
    </>
  );
}
