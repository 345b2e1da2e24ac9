import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { AuditTable } from './_components/audit-table';
import { ExportAuditLog } from './_components/export-audit-log';

export const metadata: Metadata = { title: 'Audit log' };

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit log" description="Every console action: who, what, on which target, why, and how it ended — refused attempts included." />
      <ExportAuditLog />
      <Suspense fallback={<LoadingRows />}>
        <AuditTable />
      </Suspense>
    </>
  );
}
