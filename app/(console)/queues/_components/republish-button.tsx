'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCan } from '@/components/actor';
import { formatCount, formatTime, parseDateInput, toDateInput } from '@/components/format';
import { ReasonDialog } from '@/components/reason-dialog';
import { useTRPC } from '@/components/trpc';
import { waitsForApproval } from '@/components/waits-for-approval';

/**
 * "Republish from the outbox since T", for a broker that lost messages it had acknowledged. The
 * dry run counts what would go back; the request carries the counted selection (through the
 * newest event counted), so what runs, or what a second person approves, is what was shown.
 */
export function RepublishButton() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canAct = useCan('oncall');
  const [open, setOpen] = useState(false);
  const [since, setSince] = useState('');
  const [outcome, setOutcome] = useState<{ text: string; waiting: boolean } | null>(null);
  const sinceDate = parseDateInput(since);
  const dryRun = useQuery({ ...trpc.queues.previewRepublish.queryOptions({ since: sinceDate ?? new Date() }), enabled: open && sinceDate !== undefined });
  const republish = useMutation(trpc.queues.republish.mutationOptions());

  if (!canAct) return null;

  function confirm(reason: string, requestId: string) {
    if (!sinceDate || !dryRun.data) return;
    republish.mutate(
      { since: sinceDate, throughEventId: dryRun.data.throughEventId ?? undefined, expectedCount: dryRun.data.count, reason, requestId },
      {
        onSuccess: ({ republished }) => {
          setOpen(false);
          setOutcome({
            text: republished === 0 ? 'Nothing was relayed since then: nothing to republish.' : `${formatCount(republished)} event(s) put back in the outbox; the relay publishes them again.`,
            waiting: false,
          });
          void queryClient.invalidateQueries({ queryKey: trpc.queues.pathKey() });
        },
        onError: (error) => {
          if (!waitsForApproval(error)) return;
          setOpen(false);
          setOutcome({ text: `Waiting for approval. ${error.message}`, waiting: true });
          void queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() });
        },
      },
    );
  }

  return (
    <>
      <button
        type="button"
        onClick={() => {
          republish.reset();
          setOutcome(null);
          setSince(toDateInput(new Date(Date.now() - 60 * 60_000)));
          setOpen(true);
        }}
      >
        Republish from the outbox…
      </button>
      {outcome && (
        <div className="notice" role="status" data-testid={outcome.waiting ? 'republish-waiting-for-approval' : 'republish-outcome'} style={{ marginTop: 8 }}>
          {outcome.text}
        </div>
      )}
      <ReasonDialog
        open={open}
        title="Republish from the outbox"
        danger
        preview={
          <>
            <p>
              For a NATS cluster that lost messages it had acknowledged (a partition stops with “missing from stream”). Events relayed since the time below are published to the stream
              again; events a group already handled are skipped, so nothing runs twice. A large republish waits for a second person’s approval.
            </p>
            <label className="field">
              Republish events relayed since
              <input type="datetime-local" value={since} onChange={(event) => setSince(event.target.value)} required />
            </label>
            <div data-testid="republish-dry-run" style={{ marginTop: 8 }}>
              {!sinceDate ? (
                'Choose a time.'
              ) : dryRun.isPending ? (
                'Counting (dry run)…'
              ) : dryRun.isError ? (
                <span role="alert">{dryRun.error.message}</span>
              ) : (
                <>
                  Dry run: <strong>{formatCount(dryRun.data.count)}</strong> event(s) will be published again.
                  {dryRun.data.sample.length > 0 && (
                    <ul className="muted">
                      {dryRun.data.sample.map((event) => (
                        <li key={event.id}>
                          #{event.id} {event.type} <span className="mono">{event.key}</span> ({event.topic}, logged {formatTime(event.loggedAt)})
                        </li>
                      ))}
                    </ul>
                  )}
                </>
              )}
            </div>
          </>
        }
        confirmLabel="Republish"
        busy={republish.isPending || !sinceDate || dryRun.isPending || dryRun.isError}
        error={republish.error && !waitsForApproval(republish.error) ? republish.error.message : null}
        onCancel={() => setOpen(false)}
        onConfirm={confirm}
      />
    </>
  );
}
