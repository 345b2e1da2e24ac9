/** LISTEN/NOTIFY channels: the relay listens on the outbox one, workers on the log one. */
export const OUTBOX_CHANNEL = 'conveyor_outbox';
export const LOG_CHANNEL = 'conveyor_log';
/** Payload on the log channel telling workers to look for due retries now (operator actions). */
export const RETRIES_DUE = 'retries';
