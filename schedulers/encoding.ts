// Compact schedules: a decision list (picks >= 0, draws -(v+1)) as one short line. Runs of the
// same decision collapse to (value, count); values are zigzag varints; the bytes are base64url.
// "s1." prefixes the format version.

const PREFIX = 's1.';

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

export function encodeSchedule(decisions: readonly number[]): string {
  const bytes: number[] = [];
  for (let i = 0; i < decisions.length; ) {
    const v = decisions[i]!;
    let j = i + 1;
    while (j < decisions.length && decisions[j] === v) j++;
    pushVarint(bytes, zigzag(v));
    pushVarint(bytes, j - i);
    i = j;
  }
  return PREFIX + Buffer.from(bytes).toString('base64url');
}

export class ScheduleFormatError extends Error {}

export function decodeSchedule(s: string): number[] {
  if (!s.startsWith(PREFIX)) throw new ScheduleFormatError(`a schedule starts with "${PREFIX}"`);
  const body = s.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new ScheduleFormatError('a schedule is base64url after its prefix');
  const bytes = Buffer.from(body, 'base64url');
  const out: number[] = [];
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (i >= bytes.length) throw new ScheduleFormatError('truncated schedule');
      const b = bytes[i++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
      if (mul > 2 ** 49) throw new ScheduleFormatError('schedule value too large');
    }
  };
  while (i < bytes.length) {
    const v = unzigzag(varint());
    const count = varint();
    if (count === 0 || out.length + count > 10_000_000) throw new ScheduleFormatError('bad run length in schedule');
    for (let c = 0; c < count; c++) out.push(v);
  }
  return out;
}
