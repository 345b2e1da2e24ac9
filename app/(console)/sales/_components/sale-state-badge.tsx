import type { SaleEndReason, SaleState } from '@/shared/sales';

const classes: Record<SaleState, string> = { scheduled: 'info', live: 'ok', paused: 'pending', ended: '' };
const endWords: Record<SaleEndReason, string> = { sold_out: 'sold out', time_up: 'time up', manual: 'ended by hand' };

export function SaleStateBadge({ state, endReason }: { state: SaleState; endReason: SaleEndReason | null }) {
  return (
    <span className={`badge ${classes[state]}`} data-testid="sale-state" data-state={state}>
      {state === 'ended' && endReason ? `ended: ${endWords[endReason]}` : state}
    </span>
  );
}
