import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { ApiTokens } from './_components/api-tokens';

export const metadata: Metadata = { title: 'API tokens' };

export default function SettingsPage() {
  return (
    <>
      <PageHeader
        title="API tokens"
        description="Bearer tokens for the systems that call the order API: a storefront (orders:create, orders:refund) and the data team's event feed (feed:read, plus feed:pii for phone numbers). A token is shown once; only its hash is stored."
      />
      <ApiTokens />
    </>
  );
}
