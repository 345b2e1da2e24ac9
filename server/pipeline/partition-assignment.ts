/**
 * Which partitions a worker should hold: partitions are dealt round-robin over the live
 * workers sorted by id, so every worker computes the same spread from the same list and
 * the counts differ by at most one.
 */
export function assignedPartitions(partitionCount: number, liveWorkers: readonly string[], workerId: string): number[] {
  const workers = [...new Set([...liveWorkers, workerId])].sort();
  const index = workers.indexOf(workerId);
  const assigned: number[] = [];
  for (let partition = 0; partition < partitionCount; partition++) {
    if (partition % workers.length === index) assigned.push(partition);
  }
  return assigned;
}
