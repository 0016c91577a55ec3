/** Tracks background work (job runners, SQL, source windows) so a stop can wait for it to settle. */
export class InFlightWork {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs `task` in the background; its failure is reported, never thrown. */
  start(task: () => Promise<void>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((error: unknown) => this.onError(error))
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
