import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '@/server/ops/api-tokens';
import { API_TOKEN_SCOPES } from '@/shared/api-token-scopes';
import { adminProcedure, mutationInput, router } from '../init';

export const apiTokensRouter = router({
  list: adminProcedure.query(({ ctx }) => listApiTokens(ctx.db)),

  create: adminProcedure
    .meta({ auditTarget: 'name' })
    // The browser makes the token and sends its hash: the token itself never reaches the server or the audit log.
    .input(
      mutationInput({
        name: z.string().trim().min(2, 'Name the token after who uses it').max(100, 'Keep the name under 100 characters'),
        tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
        prefix: z.string().min(6).max(16),
        scopes: z.array(z.enum(API_TOKEN_SCOPES)).min(1, 'Choose at least one scope: what the token may do').max(API_TOKEN_SCOPES.length),
      }),
    )
    .mutation(({ ctx, input }) => createApiToken(ctx.db, { name: input.name, tokenHash: input.tokenHash, prefix: input.prefix, scopes: input.scopes, actor: ctx.actor.email })),

  revoke: adminProcedure
    .meta({ auditTarget: 'tokenId' })
    .input(mutationInput({ tokenId: z.number().int() }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, { tokenId: input.tokenId, actor: ctx.actor.email })),
});
