import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignedPartitions } from './partition-assignment';

describe('assignedPartitions', () => {
  it('gives every partition to exactly one live worker, evenly', () => {
    const workers = ['w-b', 'w-a', 'w-c'];
    const shares = workers.map((worker) => assignedPartitions(8, workers, worker));
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shares.map((share) => share.length).sort()).toEqual([2, 3, 3]);
  });

  it('splits the partitions exactly among live workers that share one view of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), (partitions, workers) => {
        const held = workers.flatMap((id) => assignedPartitions(partitions, workers, id));
        expect(held.sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, partition) => partition));
        const counts = workers.map((id) => assignedPartitions(partitions, workers, id).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1_000 },
    );
  });

  it('counts the asking worker as live even before its heartbeat is seen', () => {
    expect(assignedPartitions(4, [], 'solo')).toEqual([0, 1, 2, 3]);
  });
});
