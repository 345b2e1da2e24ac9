import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

// Every page carries its request's CSP nonce (proxy.ts), which a page rendered at build time cannot have.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: { default: 'Conveyor', template: '%s · Conveyor' }, description: 'Order pipeline and ops console' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
