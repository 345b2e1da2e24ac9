'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { formatDuration, formatMoney, formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import { SaleStateBadge } from '../../_components/sale-state-badge';
import { AttemptsChart } from './attempts-chart';
import { SaleControls } from './sale-controls';

const filterKeys = ['minutes'] as const;
/** Chart windows an operator can pick; the choice stays in the URL. */
const windows = [
  { minutes: 1, label: 'last minute' },
  { minutes: 5, label: 'last 5 minutes' },
  { minutes: 30, label: 'last 30 minutes' },
] as const;

function Figure({ label, value, testId, detail }: { label: string; value: string; testId: string; detail?: string }) {
  return (
    <li className="overview-tile sale-figure" data-testid={testId}>
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
      {detail && <div className="tile-detail muted">{detail}</div>}
    </li>
  );
}

export function SaleView({ saleId }: { saleId: string }) {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(filterKeys);
  const minutes = windows.find((option) => String(option.minutes) === filters.minutes)?.minutes ?? 5;
  const figures = useQuery({
    ...trpc.sales.figures.queryOptions({ saleId, minutes }),
    placeholderData: keepPreviousData,
    // Every second while it admits (or may again); an ended sale changes only as its unpaid orders settle.
    refetchInterval: (query) => (query.state.data?.sale.state === 'ended' ? 10_000 : 1_000),
  });

  if (figures.isPending) return <LoadingRows label="Loading the sale…" />;
  if (figures.isError) return <QueryError error={figures.error} onRetry={() => void figures.refetch()} />;
  const { sale } = figures.data;
  const { units } = sale;
  const unitsLeftShare = units.armed ? Math.round((100 * units.left) / units.armed) : 0;

  return (
    <>
      <section className="panel">
        <div className="row wrap">
          <h2>{sale.name}</h2>
          <SaleStateBadge state={sale.state} endReason={sale.endReason} />
          {sale.state !== 'ended' && units.left === 0 && (
            <span className="badge pending" data-testid="sale-sold-out" title="Every unit is admitted; units of unpaid orders come back to the sale while it runs">
              sold out
            </span>
          )}
          <span className="spacer" />
          <UpdatedAgo at={figures.dataUpdatedAt} />
        </div>
        <p className="muted">
          <span className="mono">{sale.id}</span> · <span className="mono">{sale.sku}</span> · {units.armed.toLocaleString()} units at {formatMoney(sale.priceCents)} · at most{' '}
          <span data-testid="sale-buyer-limit">{sale.perBuyerLimit}</span> per buyer · {formatTime(sale.startsAt)} – {formatTime(sale.endsAt)} · armed by {sale.armedBy} ·{' '}
          <Link href="/sales">all sales</Link>
        </p>
        <SaleControls sale={sale} />
      </section>

      <ul className="overview-tiles" aria-label="Units and orders">
        <Figure label="Units left" value={units.left.toLocaleString()} testId="sale-units-left" detail={`${unitsLeftShare}% of ${units.armed.toLocaleString()} armed`} />
        <Figure label="Reserved" value={units.reserved.toLocaleString()} testId="sale-units-reserved" detail="admitted, not paid yet" />
        <Figure label="Sold" value={units.sold.toLocaleString()} testId="sale-units-sold" detail="ordered and paid" />
        <Figure
          label="Returned"
          value={units.returned.toLocaleString()}
          testId="sale-units-returned"
          detail={`unpaid, back to the sale; ${units.returnedToStock.toLocaleString()} back to normal stock`}
        />
        <Figure label="Decision p99" value={figures.data.p99DecisionMs === null ? '—' : `≤ ${figures.data.p99DecisionMs} ms`} testId="sale-decision-p99" detail="over the last minute" />
        <Figure
          label="Attempt → order lag"
          value={figures.data.orderLagMs === 0 ? '0' : formatDuration(figures.data.orderLagMs)}
          testId="sale-order-lag"
          detail="the oldest admitted attempt still without its order"
        />
        <Figure label="Orders waiting for payment" value={figures.data.ordersAwaitingPayment.toLocaleString()} testId="sale-awaiting-payment" />
      </ul>

      <section className="panel" aria-label="Attempts per second">
        <div className="row">
          <h2>Attempts per second by outcome</h2>
          <span className="spacer" />
          <label className="field">
            Window
            <select aria-label="Chart window" value={String(minutes)} onChange={(event) => setFilters({ minutes: event.target.value })}>
              {windows.map((option) => (
                <option key={option.minutes} value={option.minutes}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <AttemptsChart seconds={figures.data.attemptsPerSecond} />
      </section>
    </>
  );
}
