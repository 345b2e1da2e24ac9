'use client';

import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useMemo } from 'react';
import type { AppRouter } from '@/server/trpc/root';
import type { inferRouterOutputs } from '@trpc/server';

type SaleSecond = inferRouterOutputs<AppRouter>['sales']['figures']['attemptsPerSecond'][number];

const outcomes = [
  { key: 'admitted', name: 'admitted', colour: '#1b7f3b' },
  { key: 'soldOut', name: 'sold out', colour: '#6b7280' },
  { key: 'limitReached', name: 'limit reached', colour: '#a15c00' },
  { key: 'notLive', name: 'not live', colour: '#2557d6' },
  { key: 'throttled', name: 'throttled', colour: '#c62828' },
] as const;

/** Attempts per second by outcome, stacked: the sale's door as the order API answered it. */
export function AttemptsChart({ seconds }: { seconds: SaleSecond[] }) {
  const points = useMemo(() => seconds.map(({ second, ...counts }) => ({ at: second.getTime(), ...counts })), [seconds]);
  if (seconds.length === 0) return <p className="muted">No attempts in this window yet: the chart fills in as the order API answers them.</p>;
  const peak = Math.max(...seconds.map((second) => outcomes.reduce((sum, outcome) => sum + second[outcome.key], 0)));
  return (
    <div className="chart" data-testid="attempts-chart" data-peak-per-second={peak}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#e1e4e8" strokeDasharray="3 3" />
          <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(value: number) => new Date(value).toLocaleTimeString()} />
          <YAxis allowDecimals={false} label={{ value: 'attempts / s', angle: -90, position: 'insideLeft', style: { fontSize: 12 } }} />
          <Tooltip labelFormatter={(value) => new Date(Number(value)).toLocaleTimeString()} />
          <Legend />
          {outcomes.map((outcome) => (
            <Area key={outcome.key} type="stepAfter" dataKey={outcome.key} name={outcome.name} stackId="attempts" stroke={outcome.colour} fill={outcome.colour} fillOpacity={0.5} isAnimationActive={false} />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
