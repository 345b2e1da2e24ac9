import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { ReportsView } from './_components/reports-view';

export const metadata: Metadata = { title: 'Reports' };

export default function ReportsPage() {
  return (
    <>
      <PageHeader
        title="Reports"
        description="Sales from the analytics projection, which the pipeline feeds from order events: nothing here reads the order tables. The same events are available to the data team at /api/feed/events."
      />
      <ReportsView />
    </>
  );
}
