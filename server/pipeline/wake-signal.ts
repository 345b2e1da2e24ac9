/** Lets a loop sleep until either a timeout or a wake-up (a NOTIFY, a stop request). */
export class WakeSignal {
  private waiters: (() => void)[] = [];
  private pending = false;

  wake(): void {
    this.pending = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves at once if woken since the last wait, so a wake-up between checks is not lost. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const self = this;
      function done() {
        clearTimeout(timer);
        self.waiters = self.waiters.filter((waiter) => waiter !== done);
        self.pending = false;
        resolve();
      }
      this.waiters.push(done);
    });
  }
}
