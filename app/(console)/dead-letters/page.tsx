import type { Metadata } from 'next';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';

export const metadata: Metadata = { title: 'Dead letters' };

export default function DeadLettersPage() {
  return (
    <>
      <PageHeader title="Dead letters" description="Events that failed past their retry limit: inspect, replay or discard." />
      <EmptyState title="Nothing to show yet">No dead letters. Events that fail past their retry limit will be listed here.</EmptyState>
    </>
  );
}
