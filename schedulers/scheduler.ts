// The strategy interface, in the spirit of awslabs/shuttle: start an execution,
// pick the next thread among the enabled ones, draw a number.

export interface Scheduler {
  /** Name shown in reports. */
  readonly name: string;
  /** Prepare for a new execution. Returns false when the strategy has nothing more to run. */
  newExecution(): boolean;
  /**
   * Pick the next thread. `enabled[0..n)` holds the ids of the enabled threads in increasing
   * order; `current` is the thread that just reached a scheduling point (-1 at the start).
   * Returns a thread id taken from `enabled`.
   */
  nextThread(enabled: Int32Array, n: number, current: number): number;
  /**
   * Optional: told after each step which resources that step accessed (see
   * Runtime.access); exploring strategies (DPOR, sleep sets) use it. `thread` ran `step`.
   */
  stepDone?(thread: number, step: number, accesses: readonly number[]): void;
  /** Draw an integer in [0, bound): fault-injection outcomes and other nondeterminism. */
  draw(bound: number): number;
}

/** A recorded decision sequence: thread picks and draws, interleaved in the order they happened. */
export interface Decision {
  /** 'p' = thread pick, 'd' = draw */
  k: 'p' | 'd';
  v: number;
}
