import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { ChangePasswordForm } from './_components/change-password-form';

export const metadata: Metadata = { title: 'Account' };

export default function AccountPage() {
  return (
    <>
      <PageHeader title="Account" description="Change your password. Your other sessions (other browsers, other devices) are signed out; this one stays." />
      <ChangePasswordForm />
    </>
  );
}
