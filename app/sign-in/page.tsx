import type { Metadata } from 'next';
import { demoMode, demoUsers } from '@/server/auth/seed-users';
import { SignInForm } from './_components/sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default function SignInPage() {
  const demo = demoMode() ? demoUsers.map(({ role, email, password }) => ({ role, email, password })) : null;
  return (
    <div className="signin">
      <div className="card">
        <h1>Sign in to Conveyor</h1>
        <p className="muted">The order pipeline console.</p>
        <SignInForm />
        {demo && (
          <div className="demo" data-testid="demo-accounts">
            <h2>Demo accounts</h2>
            <table>
              <tbody>
                {demo.map((user) => (
                  <tr key={user.role}>
                    <td>{user.role}</td>
                    <td className="mono">{user.email}</td>
                    <td className="mono">{user.password}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
