import { describe, expect, it } from 'vitest';
import { timeLeft } from './Countdown';

describe('timeLeft', () => {
  it('splits the time to the 72-hour deadline into days, hours, minutes and seconds', () => {
    expect(timeLeft(72 * 3_600_000)).toEqual({ days: 3, hours: 0, minutes: 0, seconds: 0 });
    expect(timeLeft(72 * 3_600_000 - 1000)).toEqual({ days: 2, hours: 23, minutes: 59, seconds: 59 });
    expect(timeLeft(90_061_500)).toEqual({ days: 1, hours: 1, minutes: 1, seconds: 1 });
  });

  it('never counts below zero', () => {
    expect(timeLeft(-5000)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 0 });
  });
});
