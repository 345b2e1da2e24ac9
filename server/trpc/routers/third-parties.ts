import { z } from 'zod';
import { getThirdPartyHealth } from '@/server/ops/third-party-health';
import { simulatorGiveUps } from '@/server/integrations/simulator-given-up';
import { listSimulatorSettings, updateSimulatorSettings, updateSimulatorSettingsInput } from '@/server/integrations/simulator-settings';
import { adminProcedure, mutationInput, router, viewerProcedure } from '../init';

export const thirdPartiesRouter = router({
  overview: viewerProcedure.input(z.object({ windowMinutes: z.number().int().min(1).max(60).default(5) })).query(async ({ ctx, input }) => {
    const [settings, health] = await Promise.all([listSimulatorSettings(ctx.db), getThirdPartyHealth(ctx.db, { windowMs: input.windowMinutes * 60_000 })]);
    return settings.map((setting) => ({ ...setting, observed: health.find((row) => row.integration === setting.simulator)! }));
  }),

  /** What the simulators stopped redelivering after their bounded schedule (demo, or SIMULATORS=on). */
  givenUp: viewerProcedure.query(({ ctx }) => simulatorGiveUps(ctx.db, 50)),

  updateSimulator: adminProcedure
    .meta({ auditTarget: 'simulator' })
    .input(mutationInput(updateSimulatorSettingsInput.shape))
    .mutation(({ ctx, input }) => {
      const { reason: _reason, requestId: _requestId, ...settings } = input;
      return updateSimulatorSettings(ctx.db, settings);
    }),
});
