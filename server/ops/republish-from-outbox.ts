import type { Executor } from '@/db/client';
import { DomainError } from '@/server/errors';
import { republishEvents } from '@/server/pipeline';
import { bulkApprovalThreshold } from './approval-policies';
import { ApprovalRequired } from './approvals';

/**
 * The console's "republish from the outbox since T". Above the bulk threshold a second person
 * approves the exact selection the requester counted: events relayed since T up to the newest
 * one counted then, so events relayed meanwhile are not added behind the approver's back.
 */
export async function republishFromOutbox(db: Executor, input: { since: Date; throughEventId?: number; expectedCount?: number; approved: boolean }) {
  if (input.since.getTime() > Date.now()) throw new DomainError('BAD_REQUEST', 'Choose a time in the past: events relayed since then are republished.');
  const preview = await republishEvents(db, { since: input.since, throughEventId: input.throughEventId, dryRun: true });
  if (!preview.dryRun) throw new Error('a dry run answered as a real run');
  if (preview.count === 0) return { republished: 0 };
  if (input.expectedCount !== undefined && preview.count > input.expectedCount * 2 + 10) {
    throw new DomainError('CONFLICT', `Events relayed since then now number ${preview.count}, far more than the ${input.expectedCount} you confirmed. Check the time and confirm again.`);
  }
  if (!input.approved && preview.count > bulkApprovalThreshold()) {
    throw new ApprovalRequired(`republish ${preview.count} events relayed since ${input.since.toISOString()}`, {
      since: input.since.toISOString(),
      throughEventId: preview.throughEventId,
    });
  }
  const result = await republishEvents(db, { since: input.since, throughEventId: preview.throughEventId });
  return { republished: result.dryRun ? 0 : result.republished };
}
