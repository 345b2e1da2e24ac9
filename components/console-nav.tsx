'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { Role } from '@/db/schema';

const sections: { href: string; label: string; adminOnly?: boolean }[] = [
  { href: '/orders', label: 'Orders' },
  { href: '/queues', label: 'Queues' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/failed-pushes', label: 'Failed pushes' },
  { href: '/reconciliation', label: 'Reconciliation' },
  { href: '/third-parties', label: 'Third parties' },
  { href: '/audit', label: 'Audit log' },
  { href: '/users', label: 'Users', adminOnly: true },
];

export function ConsoleNav({ role }: { role: Role }) {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Console">
      {sections
        .filter((section) => !section.adminOnly || role === 'admin')
        .map((section) => (
          <Link key={section.href} href={section.href} aria-current={pathname.startsWith(section.href) ? 'page' : undefined}>
            {section.label}
          </Link>
        ))}
    </nav>
  );
}
