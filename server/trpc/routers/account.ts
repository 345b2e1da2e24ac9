import { z } from 'zod';
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
      changeOwnPassword(ctx.db, { userId: ctx.actor.id, keepSessionId: ctx.sessionId, currentPassword: input.currentPassword, newPassword: input.newPassword }),
    ),
});
