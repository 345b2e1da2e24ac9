import { describe, expect, it } from 'vitest';
import { assignedPartitions } from './partition-assignment';

describe('assignedPartitions', () => {
  it('gives every partition to exactly one live worker, evenly', () => {
    const workers = ['w-b', 'w-a', 'w-c'];
    const shares = workers.map((worker) => assignedPartitions(8, workers, worker));
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shares.map((share) => share.length).sort()).toEqual([2, 3, 3]);
  });

  it('counts the asking worker as live even before its heartbeat is seen', () => {
    expect(assignedPartitions(4, [], 'solo')).toEqual([0, 1, 2, 3]);
  });
});
