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
              <SignOutButton />
            </div>
          </aside>
          <main className="main">{children}</main>
        </div>
      </ActorProvider>
    </TRPCReactProvider>
  );
}
