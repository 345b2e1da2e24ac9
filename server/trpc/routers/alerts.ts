import { z } from 'zod';
import { alertStatusEnum } from '@/db/schema';
import { ALERT_RULE_NAMES, listAlertRules, updateAlertRule } from '@/server/ops/alert-rules';
import { acknowledgeAlert, activeAlertCounts, listAlerts, resolveAlert } from '@/server/ops/alerts';
import { alertWebhookUrl } from '@/server/ops/raise-alert';
import { adminProcedure, mutationInput, oncallProcedure, router, viewerProcedure } from '../init';

export const alertsRouter = router({
  list: viewerProcedure
    .input(
      z.object({
        status: z.enum([...alertStatusEnum.enumValues, 'active']).optional(),
        kind: z.string().trim().max(200).optional(),
        cursor: z.number().int().optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listAlerts(ctx.db, input)),

  counts: viewerProcedure.query(({ ctx }) => activeAlertCounts(ctx.db)),

  rules: viewerProcedure.query(async ({ ctx }) => ({ rules: await listAlertRules(ctx.db), webhookConfigured: alertWebhookUrl() !== null })),

  acknowledge: oncallProcedure
    .meta({ auditTarget: 'alertId' })
    .input(mutationInput({ alertId: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const alert = await acknowledgeAlert(ctx.db, { alertId: input.alertId, actor: ctx.actor.email });
      return { id: alert.id, status: alert.status };
    }),

  resolve: oncallProcedure
    .meta({ auditTarget: 'alertId' })
    .input(mutationInput({ alertId: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const alert = await resolveAlert(ctx.db, { alertId: input.alertId, actor: ctx.actor.email, resolution: input.reason });
      return { id: alert.id, status: alert.status };
    }),

  updateRule: adminProcedure
    .meta({ auditTarget: 'rule' })
    .input(
      mutationInput({
        rule: z.enum(ALERT_RULE_NAMES as [string, ...string[]]),
        enabled: z.boolean().optional(),
        threshold: z.number().int().min(1).optional(),
        forMinutes: z.number().int().min(1).max(24 * 60).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const row = await updateAlertRule(ctx.db, { ...input, rule: input.rule as (typeof ALERT_RULE_NAMES)[number], actor: ctx.actor.email });
      return { rule: row.rule, enabled: row.enabled, threshold: row.threshold, forMinutes: row.forMinutes };
    }),
});
