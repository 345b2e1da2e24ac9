'use client';

import { useQuery } from '@tanstack/react-query';
import { formatMoney, formatTime } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { StatusBadge } from '../../_components/status-badge';
import { Compensations } from './compensations';
import { OrderTrace } from './order-trace';

export function OrderPage({ orderId }: { orderId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.orders.get.queryOptions({ orderId }), refetchInterval: 3_000 });

  if (query.isPending) return <LoadingRows label="Loading the order…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const { order, items, payments, refunds, shipment, points, coupon, compensations, invariantFindings } = query.data;

  return (
    <>
      <header className="page-header">
        <div>
          <h1>
            Order <span className="mono">{order.id}</span> <StatusBadge status={order.status} testId="order-status" />
          </h1>
          <p>
            User <span className="mono">{order.userId}</span> · {order.contactPhone} · total {formatMoney(order.totalCents)} · stock {order.stockState.toLowerCase()}
          </p>
        </div>
        <UpdatedAgo at={query.dataUpdatedAt} />
      </header>

      {invariantFindings.length > 0 && (
        <section className="error-box" role="alert" aria-label="Invariant violations">
          <strong>The invariant watch finds this order wrong:</strong>
          <ul>
            {invariantFindings.map((finding) => (
              <li key={finding.id}>
                {finding.invariant}: {finding.detail} <span className="muted">(since {formatTime(finding.firstSeenAt)})</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <div className="order-grid">
        <section className="panel">
          <h2>Times</h2>
          <dl className="facts">
            <dt>Created</dt>
            <dd>{formatTime(order.createdAt)}</dd>
            <dt>Payment deadline</dt>
            <dd>{formatTime(order.paymentDeadline)}</dd>
            <dt>Paid</dt>
            <dd>{formatTime(order.paidAt)}</dd>
            <dt>Shipped</dt>
            <dd>{order.shippedAt ? `${formatTime(order.shippedAt)} · ${order.carrier} ${order.trackingNumber}` : '—'}</dd>
            <dt>Closed</dt>
            <dd>{order.closedAt ? `${formatTime(order.closedAt)} · ${order.closeReason}` : '—'}</dd>
            <dt>Last change</dt>
            <dd>{formatTime(order.updatedAt)}</dd>
          </dl>
        </section>
        <section className="panel">
          <h2>Items</h2>
          <table className="data compact">
            <tbody>
              {items.map((item) => (
                <tr key={item.sku}>
                  <td>{item.name}</td>
                  <td className="mono muted">{item.sku}</td>
                  <td>× {item.quantity}</td>
                  <td>{formatMoney(item.unitPriceCents * item.quantity)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>Money and goods</h2>
          <dl className="facts">
            <dt>Payments</dt>
            <dd>{payments.length ? payments.map((payment) => `${formatMoney(payment.amountCents)} (${payment.id})`).join(', ') : 'none'}</dd>
            <dt>Refunds</dt>
            <dd data-testid="order-refunds">
              {refunds.length
                ? refunds.map((refund) => (
                    <div key={refund.id}>
                      {formatMoney(refund.amountCents)} <span className="badge">{refund.status}</span> after {refund.attempts} attempt(s)
                      {refund.lastError && <div className="muted">{refund.lastError}</div>}
                    </div>
                  ))
                : 'none'}
            </dd>
            <dt>Shipment</dt>
            <dd>{shipment ? `${shipment.status} · ${shipment.wmsShipmentId}` : 'none'}</dd>
            <dt>Points</dt>
            <dd>{points.length ? points.map((entry) => `${entry.entry} ${entry.points}`).join(', ') : 'none'}</dd>
            <dt>Coupon</dt>
            <dd>{coupon ? `${coupon.code}${coupon.revokedAt ? ' (revoked)' : coupon.issuedAt ? ' (issued)' : ''}` : 'none'}</dd>
          </dl>
        </section>
      </div>

      <Compensations orderId={order.id} compensations={compensations} />
      <OrderTrace orderId={order.id} />
    </>
  );
}
