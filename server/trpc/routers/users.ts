import { z } from 'zod';
import { roleEnum } from '@/db/schema';
import { changeUserRole } from '@/server/auth/change-user-role';
import { createUser } from '@/server/auth/create-user';
import { forcePasswordReset } from '@/server/auth/force-password-reset';
import { listUsers } from '@/server/auth/users';
import { adminProcedure, mutationInput, router } from '../init';

const role = z.enum(roleEnum.enumValues);

export const usersRouter = router({
  list: adminProcedure
    .input(z.object({ cursor: z.string().max(200).optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => listUsers(ctx.db, input)),

  changeRole: adminProcedure
    .meta({ auditTarget: 'userId' })
    .input(mutationInput({ userId: z.string().min(1).max(200), role }))
    .mutation(async ({ ctx, input }) => {
      const { user, changed } = await changeUserRole(ctx.db, input);
      return { id: user.id, email: user.email, role: user.role, changed };
    }),

  forcePasswordReset: adminProcedure
    .meta({ auditTarget: 'userId' })
    .input(mutationInput({ userId: z.string().min(1) }))
    .mutation(({ ctx, input }) => forcePasswordReset(ctx.db, { userId: input.userId, adminId: ctx.actor.id })),

  create: adminProcedure
    .meta({ auditTarget: 'email' })
    .input(
      mutationInput({
        email: z.email('Enter a valid email address'),
        name: z.string().trim().min(1, 'Enter a name').max(100, 'Keep the name to 100 characters or fewer'),
        role,
        password: z.string().min(8, 'The password must have at least 8 characters').max(128, 'Keep the password to 128 characters or fewer'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const user = await createUser(ctx.db, input);
      return { id: user.id, email: user.email, role: user.role };
    }),
});
