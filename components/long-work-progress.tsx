'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { LongWorkView } from '@/server/ops/long-work/long-work';
import { formatDuration, formatTime } from './format';
import { useTRPC } from './trpc';

const stateWords: Record<LongWorkView['state'], string> = { running: 'running', finished: 'finished', failed: 'stopped' };

function WorkRow({ work, showWhere }: { work: LongWorkView; showWhere: boolean }) {
  const percent = work.total ? Math.round((work.done / work.total) * 100) : 100;
  return (
    <li className={`long-work ${work.state}`} data-testid="long-work-item" data-work-id={work.id} data-state={work.state}>
      <div className="row">
        <strong>{work.label}</strong>
        <span className={`badge ${work.state === 'running' ? 'pending' : work.failures || work.state === 'failed' ? 'error' : 'ok'}`}>{stateWords[work.state]}</span>
        {showWhere && <Link href={work.startedFrom}>open</Link>}
      </div>
      <progress value={work.done} max={Math.max(1, work.total)} aria-label={`${work.label}: ${percent}% done`} />
      <div className="muted">
        <span data-testid="long-work-count">
          {work.done} / {work.total}
        </span>{' '}
        done ·{' '}
        <span data-testid="long-work-failures" className={work.failures ? 'failures' : undefined}>
          {work.failures} failure{work.failures === 1 ? '' : 's'}
        </span>{' '}
        ·{' '}
        {work.state === 'running'
          ? work.timeLeftMs === null
            ? 'estimating time left…'
            : `about ${formatDuration(work.timeLeftMs)} left`
          : `ended ${formatTime(work.finishedAt)}`}
      </div>
      <div className="muted">
        started by {work.startedBy} at {formatTime(work.startedAt)}: {work.reason}
        {work.error && <span role="alert"> — {work.error}</span>}
      </div>
    </li>
  );
}

/**
 * Live progress of long operator actions, read from the server so it survives a reload:
 * one screen's work (running, and what ended in the last half hour) with `startedFrom`, or
 * everything running (the Overview) without it. Hidden when there is nothing to show.
 */
export function LongWorkProgress({ startedFrom }: { startedFrom?: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.longWork.list.queryOptions({ startedFrom }),
    // Every second while something runs, so the count moves; every few seconds otherwise, to
    // notice work started meanwhile (a reconciliation run's request only answers once it ended).
    refetchInterval: (current) => (current.state.data?.work.some((work) => work.state === 'running') ? 1_000 : 3_000),
  });
  const work = query.data?.work ?? [];
  if (work.length === 0) return null;
  return (
    <section className="panel" data-testid="long-work" aria-label="Long work in progress">
      <h2 className="long-work-title">{startedFrom ? 'Work started here' : 'Work in progress'}</h2>
      <ul className="long-work-list">
        {work.map((item) => (
          <WorkRow key={item.id} work={item} showWhere={!startedFrom} />
        ))}
      </ul>
    </section>
  );
}
