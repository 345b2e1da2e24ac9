import Link from 'next/link';
import type { ReactNode } from 'react';
import { ConsoleNav } from '@/components/console-nav';
import { SignOutButton } from '@/components/sign-out-button';
import { TRPCReactProvider } from '@/components/trpc';
import { ActorProvider } from '@/components/actor';
import { WaitingForDatabase } from '@/components/waiting-for-database';
import { consoleSession } from '@/server/auth/current-actor';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await consoleSession();
  if (session.kind === 'unavailable') return <WaitingForDatabase message={session.message} />;
  const { actor } = session;
  return (
    <TRPCReactProvider>
      <ActorProvider actor={actor}>
        <div className="shell">
          <aside className="sidebar">
            <div className="brand">
              Conveyor<small>Order pipeline console</small>
            </div>
            <ConsoleNav role={actor.role} />
            <div className="whoami" data-testid="whoami">
              <div className="email">{actor.email}</div>
              <div>
                Role: <span className={`badge role-${actor.role}`}>{actor.role}</span>
              </div>
              <Link href="/account">Account</Link>
              <SignOutButton />
            </div>
          </aside>
          <main className="main">
            {actor.mustChangePassword && (
              <div className="error-box" role="alert" data-testid="must-change-password">
                An admin asked you to set a new password: until you do, the console shows you nothing else. <Link href="/account">Set it on the Account page</Link>.
              </div>
            )}
            {children}
          </main>
        </div>
      </ActorProvider>
    </TRPCReactProvider>
  );
}
