// Small helpers shared by the bench sections: forced GC, statistics, markdown tables.
// The bench (and only the bench) reads the clock: performance.now().

/** A full GC when node runs with --expose-gc (npm run bench does); a no-op otherwise. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export const gcAvailable = (): boolean => typeof (globalThis as { gc?: unknown }).gc === 'function';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

export function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Print a markdown table; `align` has one 'l' or 'r' per column. */
export function table(head: string[], align: string, rows: Array<Array<string | number | null>>): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.map((c) => (c === null ? '-' : String(c))).join(' | ')} |`);
}

/** Seeds of the detection tables: 1001..1000+n. */
export function seedRange(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1001 + i);
}

/** Median, worst and totals of first detections over a set of seeds (null when nothing was detected). */
export interface DetectionStats {
  seeds: number;
  detected: number;
  medianSchedules: number | null;
  worstSchedules: number | null;
  medianSeconds: number | null;
  /** Slowest detection, in seconds. */
  worstSeconds: number | null;
  /** Schedules run over every seed (a seed that found nothing ran the whole budget). */
  totalSchedules: number;
  totalSeconds: number;
}

/** Per seed: schedules to its first detection (null: none within the budget), schedules run and seconds taken. */
export interface SeedOutcome {
  found: number | null;
  schedules: number;
  seconds: number;
}

export function detectionStats(per: SeedOutcome[]): DetectionStats {
  const hits = per.filter((p) => p.found !== null);
  const found = hits.map((p) => p.found!);
  const secs = hits.map((p) => p.seconds);
  return {
    seeds: per.length,
    detected: hits.length,
    medianSchedules: found.length ? median(found) : null,
    worstSchedules: found.length ? Math.max(...found) : null,
    medianSeconds: secs.length ? round(median(secs)) : null,
    worstSeconds: secs.length ? round(Math.max(...secs)) : null,
    totalSchedules: per.reduce((a, p) => a + p.schedules, 0),
    totalSeconds: round(per.reduce((a, p) => a + p.seconds, 0)),
  };
}
