'use client';

import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { roleDescriptions, roles } from '@/shared/roles';
import { AddUserButton } from './add-user-button';
import { UsersTable } from './users-table';

export function UsersScreen() {
  const isAdmin = useCan('admin');
  return (
    <>
      <PageHeader title="Users" description="Who can sign in, and what each may do.">
        {isAdmin && <AddUserButton />}
      </PageHeader>
      {isAdmin ? (
        <>
          <div className="panel muted">
            {roles.map((role) => (
              <div key={role}>
                <span className={`badge role-${role}`}>{role}</span> {roleDescriptions[role]}
              </div>
            ))}
          </div>
          <UsersTable />
        </>
      ) : (
        <EmptyState title="Only admins manage users">Ask an admin to change your role or add a colleague.</EmptyState>
      )}
    </>
  );
}
