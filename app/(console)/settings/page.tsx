import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { ApiTokens } from './_components/api-tokens';

export const metadata: Metadata = { title: 'API tokens' };

export default function SettingsPage() {
  return (
    <>
      <PageHeader
        title="API tokens"
        description="Bearer tokens for the data team's event feed (GET /api/feed/events?after=<cursor>&limit=<n>, NDJSON). A token is shown once; only its hash is stored."
      />
      <ApiTokens />
    </>
  );
}
