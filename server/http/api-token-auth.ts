import type { ApiTokenAuthenticator, AuthenticatedApiToken } from '@/server/ops/api-tokens';
import type { ApiTokenScope } from '@/shared/api-token-scopes';
import type { ApiRequest } from './api-route';
import { problem, type HttpAnswer } from './http-answer';

/**
 * The token of a request that must carry one with `scope`: 401 when there is no live token
 * (missing, unknown or revoked), 403 when the token lacks the scope. Checked before the body is read.
 */
export async function requireScope(
  tokens: ApiTokenAuthenticator,
  request: ApiRequest,
  scope: ApiTokenScope,
): Promise<{ ok: true; token: AuthenticatedApiToken } | { ok: false; answer: HttpAnswer }> {
  const token = await tokens.authenticate(request.header('authorization'));
  if (!token) {
    return {
      ok: false,
      answer: problem(
        401,
        'unauthorized',
        `Send Authorization: Bearer <token> with a live token that has the ${scope} scope; an admin creates tokens in the console under Settings → API tokens.`,
        {},
        // Closed, so Node does not drain an unread body of a caller it will not serve.
        { 'www-authenticate': 'Bearer realm="conveyor"', connection: 'close' },
      ),
    };
  }
  if (!token.scopes.includes(scope)) {
    const message = `The token “${token.name}” lacks the ${scope} scope; an admin can create one that has it under Settings → API tokens.`;
    return { ok: false, answer: problem(403, 'forbidden', message, {}, { connection: 'close' }) };
  }
  return { ok: true, token };
}
