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
  const [resetting, setResetting] = useState<{ userId: string; email: string } | null>(null);
  const query = useQuery({ ...trpc.users.list.queryOptions({ cursor: pages.cursor, limit: 50 }), placeholderData: keepPreviousData });
  const changeRole = useMutation(
    trpc.users.changeRole.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );

  const forceReset = useMutation(
    trpc.users.forcePasswordReset.mutationOptions({
      onSuccess: async () => {
        setResetting(null);
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
            <th>Password</th>
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
              <td>
                {user.mustChangePassword ? (
                  <span className="badge pending">must set a new one</span>
                ) : (
                  <button
                    type="button"
                    onClick={() => {
                      forceReset.reset();
                      setResetting({ userId: user.id, email: user.email });
                    }}
                  >
                    Force reset
                  </button>
                )}
              </td>
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
      <ReasonDialog
        open={resetting !== null}
        title="Force a password reset"
        preview={
          resetting && (
            <>
              <strong>{resetting.email}</strong> is signed out everywhere now, and at their next sign-in must set a new password before doing anything else.
            </>
          )
        }
        confirmLabel="Force reset"
        busy={forceReset.isPending}
        error={forceReset.error?.message ?? null}
        onCancel={() => setResetting(null)}
        onConfirm={(reason, requestId) => resetting && forceReset.mutate({ userId: resetting.userId, reason, requestId })}
      />
    </>
  );
}
