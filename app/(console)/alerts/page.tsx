import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/page-header';
import { LoadingRows } from '@/components/query-state';
import { AlertsView } from './_components/alerts-view';

export const metadata: Metadata = { title: 'Alerts' };

export default function AlertsPage() {
  return (
    <>
      <PageHeader title="Alerts" description="Conditions someone should look at, one row per problem while it stays open (repeats are counted). New alerts are also posted to ALERT_WEBHOOK_URL." />
      <Suspense fallback={<LoadingRows />}>
        <AlertsView />
      </Suspense>
    </>
  );
}
