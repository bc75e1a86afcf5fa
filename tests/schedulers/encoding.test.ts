import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSchedule, encodeSchedule, ScheduleFormatError } from '../../schedulers/encoding.js';

describe('compact schedules', () => {
  it('round-trips any decision list', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: -300, max: -1 })), { maxLength: 400 }), (ds) => {
        expect(decodeSchedule(encodeSchedule(ds))).toEqual(ds);
      }),
    );
  });

  it('is one short line: runs collapse', () => {
    const ds = [...Array(500).fill(0), ...Array(300).fill(1), -1, ...Array(200).fill(0)];
    const s = encodeSchedule(ds);
    expect(s).toMatch(/^s1\.[A-Za-z0-9_-]+$/);
    expect(s.length).toBeLessThan(40);
  });

  it.each(['', 'x', 's1.@@', 's1.gA', 's2.AA'])('rejects %j', (s) => {
    expect(() => decodeSchedule(s)).toThrow(ScheduleFormatError);
  });
});
