/** Whether a mutation failed because its request now waits for a second person (the server filed an approval). */
export function waitsForApproval(error: unknown): boolean {
  return (error as { data?: { code?: string } } | null)?.data?.code === 'PRECONDITION_FAILED';
}
