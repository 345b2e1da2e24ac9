import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { hasRole, roleDescriptions, roles } from '@/server/auth/roles';
import { requireActor } from '@/server/auth/current-actor';
import { AddUserButton } from './_components/add-user-button';
import { UsersTable } from './_components/users-table';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const actor = await requireActor();
  return (
    <>
      <PageHeader title="Users" description="Who can sign in, and what each may do.">
        {hasRole(actor.role, 'admin') && <AddUserButton />}
      </PageHeader>
      {hasRole(actor.role, 'admin') ? (
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
