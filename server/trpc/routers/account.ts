import { z } from 'zod';
import { authSettings } from '@/server/auth/auth-settings';
import { changeOwnPassword, MIN_PASSWORD_LENGTH } from '@/server/auth/change-password';
import { mutationInput, router, viewerProcedure } from '../init';

export const accountRouter = router({
  // Passwords are removed from the audit row by key (redactSecrets); only that it happened is kept.
  changePassword: viewerProcedure
    .meta({ allowedBeforePasswordChange: true })
    .input(
      mutationInput({
        currentPassword: z.string().min(1, 'Enter your current password'),
        newPassword: z.string().min(MIN_PASSWORD_LENGTH, `The new password must have at least ${MIN_PASSWORD_LENGTH} characters`).max(200),
      }),
    )
    .mutation(({ ctx, input }) =>
      changeOwnPassword(ctx.db, authSettings(), {
        userId: ctx.actor.id,
        email: ctx.actor.email,
        clientAddress: ctx.clientAddress ?? 'unknown',
        keepSessionId: ctx.sessionId,
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
      }),
    ),
});
