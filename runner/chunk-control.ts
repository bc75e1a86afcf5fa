// The memory the campaign's coordinator shares with its workers: a stop request, the window
// above which running chunks are cancelled, and the schedules done (for the progress bar).
// BigInt64 cells so Atomics work on them and a count never wraps.

const STOP = 0;
const CANCEL_ABOVE = 1;
const DONE = 2;
const CELLS = 3;
/** No cancellation: above every window. */
const NONE = 2n ** 62n;

export type ControlBuffer = SharedArrayBuffer;

export function newControl(): ControlBuffer {
  const buf = new SharedArrayBuffer(CELLS * 8);
  Atomics.store(new BigInt64Array(buf), CANCEL_ABOVE, NONE);
  return buf;
}

/** A view of the shared cells, on either side. */
export class Control {
  private readonly cells: BigInt64Array;

  constructor(buf: ControlBuffer) {
    this.cells = new BigInt64Array(buf);
  }

  requestStop(): void {
    Atomics.store(this.cells, STOP, 1n);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.cells, STOP) !== 0n;
  }

  /** Chunks working on a window (workload) above `w` stop: their schedules are not needed. */
  cancelAbove(w: number): void {
    const v = BigInt(w);
    for (;;) {
      const cur = Atomics.load(this.cells, CANCEL_ABOVE);
      if (cur <= v || Atomics.compareExchange(this.cells, CANCEL_ABOVE, cur, v) === cur) return;
    }
  }

  cancelled(window: number): boolean {
    return BigInt(window) > Atomics.load(this.cells, CANCEL_ABOVE);
  }

  addDone(n: number): void {
    if (n > 0) Atomics.add(this.cells, DONE, BigInt(n));
  }

  get done(): number {
    return Number(Atomics.load(this.cells, DONE));
  }
}
