import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit';

/** A statement runner the test releases by hand, recording the batches it was given. */
function manualStatements() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => pending.push(() => resolve(items.map((item) => item * 10))));
  };
  const releaseAll = async () => {
    while (pending.length > 0) pending.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, run, releaseAll };
}

describe('group commit', () => {
  it('sends an item alone, at once, when a statement slot is free', async () => {
    const statements = manualStatements();
    const groupCommit = createGroupCommit({ run: statements.run, maxInFlight: 2, maxBatchSize: 10 });
    const answer = groupCommit.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements.batches).toEqual([[1]]);
    await statements.releaseAll();
    await expect(answer).resolves.toBe(10);
  });

  it('puts items that arrive while every slot is busy into one statement, and answers each with its own result', async () => {
    const statements = manualStatements();
    const groupCommit = createGroupCommit({ run: statements.run, maxInFlight: 1, maxBatchSize: 10 });
    const first = groupCommit.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [2, 3, 4, 5].map((item) => groupCommit.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements.batches).toEqual([[1]]);

    await statements.releaseAll();
    expect(statements.batches).toEqual([[1], [2, 3, 4, 5]]);
    await statements.releaseAll();
    await expect(first).resolves.toBe(10);
    await expect(Promise.all(queued)).resolves.toEqual([20, 30, 40, 50]);
  });

  it('counts as queued only the items waiting for a slot, not those in a statement already sent', async () => {
    const statements = manualStatements();
    const groupCommit = createGroupCommit({ run: statements.run, maxInFlight: 1, maxBatchSize: 2 });
    const answers = [1, 2, 3, 4, 5].map((item) => groupCommit.submit(item));
    expect(groupCommit.queued()).toBe(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(groupCommit.queued()).toBe(3);
    await statements.releaseAll();
    expect(groupCommit.queued()).toBe(1);
    for (let round = 0; round < 2; round++) await statements.releaseAll();
    expect(groupCommit.queued()).toBe(0);
    await Promise.all(answers);
  });

  it('never puts more than the batch size into one statement', async () => {
    const statements = manualStatements();
    const groupCommit = createGroupCommit({ run: statements.run, maxInFlight: 1, maxBatchSize: 2 });
    const answers = [1, 2, 3, 4, 5].map((item) => groupCommit.submit(item));
    for (let round = 0; round < 4; round++) await statements.releaseAll();
    expect(statements.batches).toEqual([[1, 2], [3, 4], [5]]);
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it('fails every item of a failed statement and goes on with the next', async () => {
    let calls = 0;
    const groupCommit = createGroupCommit({
      run: async (items: number[]) => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        return items;
      },
      maxInFlight: 1,
      maxBatchSize: 10,
    });
    const failed = [groupCommit.submit(1), groupCommit.submit(2)];
    await expect(Promise.allSettled(failed)).resolves.toEqual([
      { status: 'rejected', reason: new Error('connection lost') },
      { status: 'rejected', reason: new Error('connection lost') },
    ]);
    await expect(groupCommit.submit(3)).resolves.toBe(3);
  });

  it('refuses a statement that answers for fewer items than it was given', async () => {
    const groupCommit = createGroupCommit({ run: async (items: number[]) => items.slice(1), maxInFlight: 1, maxBatchSize: 10 });
    await expect(Promise.all([groupCommit.submit(1), groupCommit.submit(2)])).rejects.toThrow('1 results for 2 items');
  });
});
