'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ConsumerGroupOptions } from '@/components/consumer-group-options';
import { groupLabel } from '@/components/format';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import { useUrlFilters } from '@/components/use-url-filters';
import { lagChartInput, lagChartKeys } from './queues-query';

const colors = ['#2557d6', '#c62828', '#1b7f3b', '#a15c00', '#7c3aed', '#0891b2', '#db2777'];

export function LagChart() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlFilters(lagChartKeys);
  const { chartGroup } = filters;
  const query = useQuery({
    ...trpc.queues.lagHistory.queryOptions(lagChartInput(filters)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  const { points, groups, peak } = useMemo(() => {
    const byTime = new Map<number, Record<string, number>>();
    const seen = new Set<string>();
    for (const sample of query.data ?? []) {
      const at = Math.round(sample.sampledAt.getTime() / 1000) * 1000;
      const point = byTime.get(at) ?? { at };
      point[sample.group] = sample.lag;
      byTime.set(at, point);
      seen.add(sample.group);
    }
    const peak = Math.max(0, ...(query.data ?? []).map((sample) => sample.lag));
    return { points: [...byTime.values()].sort((a, b) => a.at! - b.at!), groups: [...seen].sort(), peak };
  }, [query.data]);

  return (
    <section className="panel" aria-label="Lag history">
      <div className="row">
        <h2>Lag over the last hour (events not yet handled)</h2>
        <span className="spacer" />
        <label className="field">
          Group
          <select value={chartGroup} onChange={(event) => setFilters({ chartGroup: event.target.value })} aria-label="Group shown on the chart">
            <ConsumerGroupOptions allLabel="every group" />
          </select>
        </label>
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      {query.isPending ? (
        <LoadingRows label="Loading lag history…" />
      ) : query.isError ? (
        <QueryError error={query.error} onRetry={() => void query.refetch()} />
      ) : points.length === 0 ? (
        <p className="muted">No lag samples in the last hour yet: the pipeline samples lag every few seconds while it runs.</p>
      ) : (
        <div className="chart" data-testid="lag-chart" data-peak-lag={peak}>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid stroke="#e1e4e8" strokeDasharray="3 3" />
              <XAxis
                dataKey="at"
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(value: number) => new Date(value).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
              />
              <YAxis allowDecimals={false} label={{ value: 'events behind', angle: -90, position: 'insideLeft', style: { fontSize: 12 } }} />
              <Tooltip labelFormatter={(value) => new Date(Number(value)).toLocaleTimeString()} />
              <Legend />
              {groups.map((group, index) => (
                <Line key={group} type="monotone" dataKey={group} name={groupLabel(group)} stroke={colors[index % colors.length]} dot={false} isAnimationActive={false} connectNulls />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
