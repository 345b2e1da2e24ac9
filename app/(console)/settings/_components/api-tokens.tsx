'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { EmptyState } from '@/components/empty-state';
import { formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { API_TOKEN_SCOPE_DESCRIPTIONS, API_TOKEN_SCOPES, type ApiTokenScope } from '@/shared/api-token-scopes';

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
  const [scopes, setScopes] = useState<ApiTokenScope[]>(['feed:read']);
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'revoke'; tokenId: number; name: string } | null>(null);
  const [revealed, setRevealed] = useState<{ name: string; token: string; scopes: ApiTokenScope[] } | null>(null);
  const tokens = useQuery({ ...trpc.apiTokens.list.queryOptions(), enabled: isAdmin });
  const create = useMutation(trpc.apiTokens.create.mutationOptions());
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions());
  const [localError, setLocalError] = useState<string | null>(null);

  if (!isAdmin) return <EmptyState title="Admins only">Ask an admin for an API token.</EmptyState>;

  const toggleScope = (scope: ApiTokenScope, on: boolean) => setScopes((chosen) => (on ? [...chosen, scope] : chosen.filter((other) => other !== scope)));

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
      { name: name.trim(), tokenHash: made.tokenHash, prefix: made.prefix, scopes, reason, requestId },
      { onSuccess: () => (setDialog(null), setRevealed({ name: name.trim(), token: made.token, scopes }), setName(''), refresh()) },
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
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="e.g. web storefront, data team loader" minLength={2} maxLength={100} required />
        </label>
        <fieldset className="field" data-testid="token-scopes">
          <legend>What it may do</legend>
          {API_TOKEN_SCOPES.map((scope) => (
            <label key={scope} title={API_TOKEN_SCOPE_DESCRIPTIONS[scope]}>
              <input type="checkbox" checked={scopes.includes(scope)} onChange={(event) => toggleScope(scope, event.target.checked)} /> <span className="mono">{scope}</span>{' '}
              <span className="muted">{API_TOKEN_SCOPE_DESCRIPTIONS[scope]}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={name.trim().length < 2 || scopes.length === 0}>
          Create token
        </button>
      </form>
      {revealed && (
        <div className="panel notice" role="status" data-testid="new-token">
          <p>
            Token for <strong>{revealed.name}</strong> — copy it now, it will not be shown again:
          </p>
          <div className="token-reveal">{revealed.token}</div>
          <p className="muted">
            Scopes: {revealed.scopes.join(', ')}. Send it to the order API as <span className="mono">Authorization: Bearer {revealed.token.slice(0, 10)}…</span>
          </p>
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
        <EmptyState title="No tokens yet">Create one for each system that calls the order API (storefront, feed readers), so each can be revoked alone.</EmptyState>
      ) : (
        <table className="data" data-testid="api-tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Scopes</th>
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
                <td className="mono">{token.scopes.join(' ')}</td>
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
        title={dialog?.kind === 'revoke' ? `Revoke token “${dialog.name}”` : 'Create an API token'}
        preview={
          dialog?.kind === 'revoke' ? (
            <p>Requests with this token are refused within a few seconds (each order API process remembers a live token for API_TOKEN_CACHE_MS, 5 s by default).</p>
          ) : (
            <p>
              Token “{name}” that may: {scopes.map((scope) => API_TOKEN_SCOPE_DESCRIPTIONS[scope]).join('; ')}.
            </p>
          )
        }
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
