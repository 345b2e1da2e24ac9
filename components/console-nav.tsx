'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { Role } from '@/shared/roles';
import { OpenAlertsBadge } from './open-alerts-badge';
import { useTRPC } from './trpc';

function PendingApprovalsBadge() {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.approvals.pendingCount.queryOptions(), refetchInterval: 10_000 });
  return data ? (
    <span className="badge pending nav-badge" aria-label={`${data} pending`}>
      {data}
    </span>
  ) : null;
}

const sections: { href: string; label: string; adminOnly?: boolean; badge?: () => React.ReactNode }[] = [
  { href: '/', label: 'Overview' },
  { href: '/orders', label: 'Orders' },
  { href: '/queues', label: 'Queues' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/failed-pushes', label: 'Failed pushes' },
  { href: '/reconciliation', label: 'Reconciliation' },
  { href: '/alerts', label: 'Alerts', badge: OpenAlertsBadge },
  { href: '/reports', label: 'Reports' },
  { href: '/sales', label: 'Sales' },
  { href: '/third-parties', label: 'Third parties' },
  { href: '/approvals', label: 'Approvals', badge: PendingApprovalsBadge },
  { href: '/audit', label: 'Audit log' },
  { href: '/users', label: 'Users', adminOnly: true },
  { href: '/settings', label: 'API tokens', adminOnly: true },
];

export function ConsoleNav({ role }: { role: Role }) {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Console">
      {sections
        .filter((section) => !section.adminOnly || role === 'admin')
        .map(({ href, label, badge: Badge }) => (
          <Link key={href} href={href} aria-current={(href === '/' ? pathname === '/' : pathname.startsWith(href)) ? 'page' : undefined}>
            {label}
            {Badge && <Badge />}
          </Link>
        ))}
    </nav>
  );
}
