'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { EmptyState } from '@/components/empty-state';
import { formatMoney } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { DEFAULT_HOURS, THROUGHPUT_MINUTES } from './reports-query';
import { UpdatedAgo } from '@/components/updated-ago';

const ranges = [
  { hours: 6, label: 'last 6 hours' },
  { hours: 24, label: 'last 24 hours' },
  { hours: 24 * 7, label: 'last 7 days' },
];
const colors = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#4b5563'];
const hourLabel = (iso: string) => new Date(iso).toLocaleString([], { month: 'numeric', day: 'numeric', hour: '2-digit' });

export function ReportsView() {
  const trpc = useTRPC();
  const [hours, setHours] = useState(DEFAULT_HOURS);
  const sales = useQuery({ ...trpc.reports.sales.queryOptions({ hours }), refetchInterval: 30_000 });
  const throughput = useQuery({ ...trpc.reports.throughput.queryOptions({ minutes: THROUGHPUT_MINUTES }), refetchInterval: 30_000 });

  const groups = [...new Set((throughput.data ?? []).map((row) => row.group))];
  const perMinute = Object.values(
    (throughput.data ?? []).reduce<Record<string, Record<string, number | string>>>((acc, row) => {
      acc[row.minute] ??= { minute: new Date(row.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) };
      acc[row.minute]![row.group] = row.handled;
      return acc;
    }, {}),
  );

  return (
    <>
      <div className="filters panel">
        <label className="field">
          Range
          <select value={hours} onChange={(event) => setHours(Number(event.target.value))}>
            {ranges.map((range) => (
              <option key={range.hours} value={range.hours}>
                {range.label}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <UpdatedAgo at={sales.dataUpdatedAt} />
      </div>
      {sales.isPending ? (
        <LoadingRows />
      ) : sales.isError ? (
        <QueryError error={sales.error} onRetry={() => void sales.refetch()} />
      ) : sales.data.overTime.length === 0 ? (
        <EmptyState title="No sales in this range">Paid orders appear here once the analytics consumer has counted them.</EmptyState>
      ) : (
        <div className="report-grid">
          <section className="panel">
            <h2>Orders and refunds per hour</h2>
            <div className="chart">
              <ResponsiveContainer>
                <BarChart data={sales.data.overTime.map((row) => ({ ...row, label: hourLabel(row.hour) }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="ordersPaid" name="orders paid" fill={colors[0]} />
                  <Bar dataKey="refunds" name="refunds" fill={colors[3]} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          <section className="panel">
            <h2>GMV and refunded per hour</h2>
            <div className="chart">
              <ResponsiveContainer>
                <LineChart data={sales.data.overTime.map((row) => ({ label: hourLabel(row.hour), gmv: row.gmvCents / 100, refunded: row.refundedCents / 100, rate: Math.round(row.refundRate * 1000) / 10 }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" fontSize={11} />
                  <YAxis yAxisId="money" fontSize={11} />
                  <YAxis yAxisId="rate" orientation="right" unit="%" fontSize={11} />
                  <Tooltip />
                  <Legend />
                  <Line yAxisId="money" dataKey="gmv" name="GMV" stroke={colors[1]} dot={false} />
                  <Line yAxisId="money" dataKey="refunded" name="refunded" stroke={colors[3]} dot={false} />
                  <Line yAxisId="rate" dataKey="rate" name="refund rate %" stroke={colors[4]} strokeDasharray="4 2" dot={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </section>
          <section className="panel">
            <h2>Per SKU (top 15 by GMV)</h2>
            <table className="data" data-testid="sales-by-sku">
              <thead>
                <tr>
                  <th>SKU</th>
                  <th>Orders</th>
                  <th>Units</th>
                  <th>GMV</th>
                  <th>Refunds</th>
                  <th>Refund rate</th>
                </tr>
              </thead>
              <tbody>
                {sales.data.bySku.map((row) => (
                  <tr key={row.sku}>
                    <td className="mono">{row.sku}</td>
                    <td>{row.ordersPaid}</td>
                    <td>{row.unitsSold}</td>
                    <td>{formatMoney(row.gmvCents)}</td>
                    <td>{row.refunds}</td>
                    <td>{(row.refundRate * 100).toFixed(1)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel">
            <h2>Pipeline throughput (events handled per minute, last hour)</h2>
            <div className="chart">
              <ResponsiveContainer>
                <LineChart data={perMinute}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="minute" fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} />
                  <Tooltip />
                  <Legend />
                  {groups.map((group, index) => (
                    <Line key={group} dataKey={group} stroke={colors[index % colors.length]} dot={false} />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </section>
        </div>
      )}
    </>
  );
}
