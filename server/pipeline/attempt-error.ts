import type { AttemptError } from '@/db/schema';

/** What is kept of one failed attempt: enough to triage without the stack. */
export function toAttemptError(error: unknown, attempt: number): AttemptError {
  const errorClass = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { attempt, at: new Date().toISOString(), errorClass, message: message.slice(0, 2_000) };
}
