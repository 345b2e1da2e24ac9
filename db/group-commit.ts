/**
 * Lets concurrent callers share one statement: group commit, done by the application.
 *
 * While fewer than `maxInFlight` statements run, waiting items go out at the end of the
 * current event-loop turn, so a quiet system adds no wait. When every slot is busy, items
 * queue, and the next free slot takes up to `maxBatchSize` of them in one statement. Under
 * load, one round trip, plan and commit (WAL flush) then serve many callers instead of one
 * each, which is what lets a two-core machine keep up.
 *
 * `run` gets the items in arrival order and answers one result per item, in that order. If
 * it throws, every caller of that batch gets the error.
 */
export interface GroupCommitOptions<Item, Result> {
  run: (items: Item[]) => Promise<Result[]>;
  maxInFlight: number;
  maxBatchSize: number;
}

export interface GroupCommit<Item, Result> {
  submit(item: Item): Promise<Result>;
  /** Items waiting for a free slot (not counting those in statements already sent). */
  queued(): number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export function createGroupCommit<Item, Result>(options: GroupCommitOptions<Item, Result>): GroupCommit<Item, Result> {
  const waiting: Waiting<Item, Result>[] = [];
  let inFlight = 0;
  let flushScheduled = false;

  function send(batch: Waiting<Item, Result>[]) {
    inFlight++;
    Promise.resolve()
      .then(() => options.run(batch.map((entry) => entry.item)))
      .then((results) => {
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
        batch.forEach((entry, index) => entry.resolve(results[index]!));
      })
      .catch((error: unknown) => batch.forEach((entry) => entry.reject(error)))
      .finally(() => {
        inFlight--;
        flush();
      });
  }

  function flush() {
    flushScheduled = false;
    while (inFlight < options.maxInFlight && waiting.length > 0) send(waiting.splice(0, options.maxBatchSize));
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        // Items that arrive in the same turn (one socket read can carry many requests) go out together.
        if (!flushScheduled && inFlight < options.maxInFlight) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    queued: () => waiting.length,
  };
}
