import { counter, gauge } from '@/server/ops/metrics';

export const eventsRelayed = () => counter('conveyor_pipeline_events_relayed_total', 'Events moved from the outbox into the log');
export const eventsHandled = () =>
  counter('conveyor_pipeline_events_handled_total', 'Deliveries whose handler succeeded, by consumer group', ['group']);
export const eventsRetried = () =>
  counter('conveyor_pipeline_events_retried_total', 'Failed deliveries scheduled for another attempt, by consumer group', ['group']);
export const eventsDeadLettered = () =>
  counter('conveyor_pipeline_events_dead_lettered_total', 'Deliveries that exhausted their attempts, by consumer group', ['group']);
export const groupLag = () =>
  gauge('conveyor_pipeline_consumer_lag', 'Events in the log not yet consumed (end offset - committed offset), by consumer group', ['group']);
