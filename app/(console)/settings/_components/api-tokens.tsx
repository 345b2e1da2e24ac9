'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';

/** Made in the browser so the token itself is never sent: the server gets its SHA-256 only. */
async function makeToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const token = `cvf_${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  const tokenHash = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return { token, tokenHash, prefix: token.slice(0, 10) };
}

export function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan('admin');
  const [name, setName] = useState('');
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'revoke'; tokenId: number; name: string } | null>(null);
  const [revealed, setRevealed] = useState<{ name: string; token: string } | null>(null);
  const tokens = useQuery({ ...trpc.apiTokens.list.queryOptions(), enabled: isAdmin });
  const create = useMutation(trpc.apiTokens.create.mutationOptions());
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions());
  const [localError, setLocalError] = useState<string | null>(null);

  if (!isAdmin) return <EmptyState title="Admins only">Ask an admin for a feed token.</EmptyState>;

  async function confirm(reason: string, requestId: string) {
    if (!dialog) return;
    const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.apiTokens.pathKey() });
    if (dialog.kind === 'revoke') {
      revoke.mutate({ tokenId: dialog.tokenId, reason, requestId }, { onSuccess: () => (setDialog(null), refresh()) });
      return;
    }
    if (!crypto.subtle) {
      setLocalError('This browser cannot hash here: open the console over https or on localhost to create tokens.');
      return;
    }
    const made = await makeToken();
    create.mutate(
      { name: name.trim(), tokenHash: made.tokenHash, prefix: made.prefix, reason, requestId },
      { onSuccess: () => (setDialog(null), setRevealed({ name: name.trim(), token: made.token }), setName(''), refresh()) },
    );
  }

  return (
    <>
      <form
        className="filters panel"
        onSubmit={(event) => {
          event.preventDefault();
          create.reset();
          setLocalError(null);
          setDialog({ kind: 'create' });
        }}
      >
        <label className="field">
          Token name (who uses it)
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="e.g. data team warehouse loader" minLength={2} required />
        </label>
        <button type="submit" className="primary" disabled={name.trim().length < 2}>
          Create token
        </button>
      </form>
      {revealed && (
        <div className="panel notice" role="status" data-testid="new-token">
          <p>
            Token for <strong>{revealed.name}</strong> — copy it now, it will not be shown again:
          </p>
          <div className="token-reveal">{revealed.token}</div>
          <p className="muted">curl -H &quot;Authorization: Bearer {revealed.token.slice(0, 10)}…&quot; &quot;{typeof window === 'undefined' ? '' : window.location.origin}/api/feed/events?limit=100&quot;</p>
          <button type="button" onClick={() => setRevealed(null)}>
            Done
          </button>
        </div>
      )}
      {tokens.isPending ? (
        <LoadingRows />
      ) : tokens.isError ? (
        <QueryError error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No tokens yet">Create one for each system that follows the feed, so each can be revoked alone.</EmptyState>
      ) : (
        <table className="data" data-testid="api-tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td className="mono">{token.prefix}…</td>
                <td>
                  {formatTime(token.createdAt)}
                  <div className="muted">{token.createdBy}</div>
                </td>
                <td>{formatTime(token.lastUsedAt)}</td>
                <td>{token.revokedAt ? <span className="muted">revoked by {token.revokedBy}</span> : <span className="badge ok">active</span>}</td>
                <td>
                  {!token.revokedAt && (
                    <button type="button" className="danger-outline" onClick={() => (revoke.reset(), setDialog({ kind: 'revoke', tokenId: token.id, name: token.name }))}>
                      Revoke…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ReasonDialog
        open={dialog !== null}
        title={dialog?.kind === 'revoke' ? `Revoke token “${dialog.name}”` : 'Create a feed token'}
        preview={dialog?.kind === 'revoke' ? <p>Requests with this token are refused from now on.</p> : <p>Token “{name}” with read access to the order event feed.</p>}
        confirmLabel={dialog?.kind === 'revoke' ? 'Revoke' : 'Create'}
        danger={dialog?.kind === 'revoke'}
        busy={create.isPending || revoke.isPending}
        error={localError ?? create.error?.message ?? revoke.error?.message ?? null}
        onCancel={() => setDialog(null)}
        onConfirm={(reason, requestId) => void confirm(reason, requestId)}
      />
    </>
  );
}
