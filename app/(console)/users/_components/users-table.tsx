'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CursorPager, useCursorStack } from '@/components/cursor-pager';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { roles, type Role } from '@/shared/roles';

interface PendingChange {
  userId: string;
  email: string;
  from: Role;
  to: Role;
}

export function UsersTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pages = useCursorStack<string>();
  const [pending, setPending] = useState<PendingChange | null>(null);
  const query = useQuery({ ...trpc.users.list.queryOptions({ cursor: pages.cursor, limit: 50 }), placeholderData: keepPreviousData });
  const changeRole = useMutation(
    trpc.users.changeRole.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );

  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;

  return (
    <>
      <table className="data" data-testid="users-table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {query.data.users.map((user) => (
            <tr key={user.id} data-email={user.email}>
              <td className="mono">{user.email}</td>
              <td>{user.name}</td>
              <td>
                <select
                  aria-label={`Role of ${user.email}`}
                  value={user.role}
                  onChange={(event) => {
                    changeRole.reset();
                    setPending({ userId: user.id, email: user.email, from: user.role, to: event.target.value as Role });
                  }}
                >
                  {roles.map((role) => (
                    <option key={role}>{role}</option>
                  ))}
                </select>
              </td>
              <td className="muted">{user.createdAt.toLocaleDateString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CursorPager stack={pages} nextCursor={query.data.nextCursor} />
      <ReasonDialog
        open={pending !== null}
        title="Change role"
        preview={
          pending && (
            <>
              <strong>{pending.email}</strong> will change from <strong>{pending.from}</strong> to <strong>{pending.to}</strong>, effective on their next
              request.
            </>
          )
        }
        confirmLabel="Change role"
        busy={changeRole.isPending}
        error={changeRole.error?.message ?? null}
        onCancel={() => setPending(null)}
        onConfirm={(reason, requestId) => pending && changeRole.mutate({ userId: pending.userId, role: pending.to, reason, requestId })}
      />
    </>
  );
}
