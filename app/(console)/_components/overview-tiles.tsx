'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import { LoadingRows, QueryError } from '@/components/query-state';
import { useTRPC } from '@/components/trpc';
import { UpdatedAgo } from '@/components/updated-ago';
import type { OverviewTile as Tile } from '@/server/ops/overview';

const statusWords: Record<Tile['status'], string> = { ok: 'fine', warn: 'look soon', bad: 'look now', info: 'for information' };
const lineColours: Record<Tile['status'], string> = { ok: '#1b7f3b', warn: '#a15c00', bad: '#c62828', info: '#2557d6' };

function formatValue(tile: Tile): string {
  if (tile.value === null) return '—';
  if (tile.unit === 'rate') return `${(tile.value * 100).toFixed(1)}%`;
  if (tile.unit === 'ms') return `${tile.value} ms`;
  return tile.value.toLocaleString();
}

function Sparkline({ tile }: { tile: Tile }) {
  const points = tile.series.map((value, index) => ({ index, value }));
  if (tile.series.every((value) => value === null)) return <div className="sparkline empty">no history yet</div>;
  return (
    <div className="sparkline" aria-hidden>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 2, right: 2, bottom: 2, left: 2 }}>
          <YAxis hide domain={[0, 'auto']} />
          <Line type="monotone" dataKey="value" stroke={lineColours[tile.status]} strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function OverviewTiles() {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.overview.get.queryOptions(), refetchInterval: 5_000 });
  if (query.isPending) return <LoadingRows label="Loading the overview…" />;
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  const { tiles } = query.data;
  const wrong = tiles.filter((tile) => tile.status === 'bad').length;
  return (
    <>
      <div className="row">
        <p className={wrong ? 'overview-verdict bad' : 'overview-verdict'} data-testid="overview-verdict">
          {wrong ? `${wrong} figure${wrong === 1 ? '' : 's'} need${wrong === 1 ? 's' : ''} a look now.` : 'Nothing needs a look now.'}
        </p>
        <span className="spacer" />
        <UpdatedAgo at={query.dataUpdatedAt} />
      </div>
      <ul className="overview-tiles">
        {tiles.map((tile) => (
          <li key={tile.key} className={`overview-tile ${tile.status}`} data-testid={`tile-${tile.key}`} data-status={tile.status}>
            <Link href={tile.href} title={`Judged by: ${tile.judgedBy}`}>
              <div className="tile-label">{tile.label}</div>
              <div className="tile-value">{formatValue(tile)}</div>
              <div className="tile-detail muted">{tile.detail ?? statusWords[tile.status]}</div>
              <Sparkline tile={tile} />
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
