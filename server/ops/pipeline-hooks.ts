import type { Executor } from '@/db/client';
import type { DeadLetteredDelivery, PipelineHooks, PipelineMetrics } from '@/server/pipeline';
import { counter, gauge } from './metrics';
import { raiseAlert } from './raise-alert';

const eventsRelayed = () => counter('conveyor_pipeline_events_relayed_total', 'Events moved from the outbox into the log');
const eventsHandled = () =>
  counter('conveyor_pipeline_events_handled_total', 'Deliveries whose handler succeeded, by consumer group', ['group']);
const eventsRetried = () =>
  counter('conveyor_pipeline_events_retried_total', 'Failed deliveries scheduled for another attempt, by consumer group', ['group']);
const eventsDeadLettered = () =>
  counter('conveyor_pipeline_events_dead_lettered_total', 'Deliveries that exhausted their attempts, by consumer group', ['group']);
const groupLag = () =>
  gauge('conveyor_pipeline_consumer_lag', 'Events in the log not yet consumed (end offset - committed offset), by consumer group', ['group']);

/** The engine's counters and lag gauge, on the registry behind GET /api/metrics. */
export const pipelineMetrics: PipelineMetrics = {
  eventsRelayed: (count) => eventsRelayed().inc(count),
  eventsHandled: (group, count) => eventsHandled().inc({ group }, count),
  eventsRetried: (group, count) => eventsRetried().inc({ group }, count),
  eventsDeadLettered: (group, count) => eventsDeadLettered().inc({ group }, count),
  groupLag: (group, lag) => groupLag().set({ group }, lag),
};

/** One open alert per consumer group with dead letters; each further dead letter counts on it. */
export async function raiseDeadLetterAlerts(tx: Executor, deadLetters: DeadLetteredDelivery[]): Promise<void> {
  for (const deadLetter of deadLetters) {
    await raiseAlert(tx, {
      kind: 'pipeline.dead_letter',
      severity: 'warning',
      dedupeKey: `pipeline.dead_letter:${deadLetter.group}`,
      title: `Dead letters in consumer group ${deadLetter.group}`,
      details: { group: deadLetter.group, deadLetterId: deadLetter.deadLetterId, eventId: deadLetter.eventId, lastError: deadLetter.lastError },
    });
  }
}

/** What every process that runs the pipeline (and every operator command that dead-letters) plugs into it. */
export const pipelineOpsHooks: PipelineHooks = { onDeadLetter: raiseDeadLetterAlerts, metrics: pipelineMetrics };
