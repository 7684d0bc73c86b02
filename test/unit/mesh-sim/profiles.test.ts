import { applyChange, applyChanges, defaultProfile, dueChanges, profileOf, type ScheduledChange } from '../../mesh-sim/profiles';

const v3 = { namespace: 'shop', service: 'reviews', version: 'v3' };

describe('behaviour profiles', () => {
  it('gives versions without a profile the default behaviour', () => {
    expect(profileOf(new Map(), 'shop', 'reviews', 'v1')).toEqual(defaultProfile);
  });

  it('changes only the fields a change names', () => {
    const t1 = applyChange(new Map(), { ...v3, p50Ms: 5, p99Ms: 50 });
    const t2 = applyChange(t1, { ...v3, errorFraction: 0.3 });
    expect(profileOf(t2, 'shop', 'reviews', 'v3')).toEqual({ errorFraction: 0.3, p50Ms: 5, p99Ms: 50 });
    expect(profileOf(t1, 'shop', 'reviews', 'v3').errorFraction).toBe(0); // the old table is untouched
  });

  it('keeps versions and services apart', () => {
    const t = applyChange(new Map(), { ...v3, errorFraction: 1 });
    expect(profileOf(t, 'shop', 'reviews', 'v2').errorFraction).toBe(0);
    expect(profileOf(t, 'other', 'reviews', 'v3').errorFraction).toBe(0);
  });

  it('starts v3 failing 30 % at t = 20 s and not before', () => {
    const schedule: ScheduledChange[] = [{ ...v3, atSeconds: 20, errorFraction: 0.3 }];
    let table = applyChanges(new Map(), dueChanges(schedule, Number.NEGATIVE_INFINITY, 0));
    const errorAt = (from: number, to: number) => {
      table = applyChanges(table, dueChanges(schedule, from, to));
      return profileOf(table, 'shop', 'reviews', 'v3').errorFraction;
    };
    expect(errorAt(0, 19.9)).toBe(0);
    expect(errorAt(19.9, 20)).toBe(0.3);
    expect(errorAt(20, 40)).toBe(0.3);
  });

  it('applies a change due at 0 s at start and each change exactly once', () => {
    const schedule: ScheduledChange[] = [
      { ...v3, atSeconds: 0, errorFraction: 0.1 },
      { ...v3, atSeconds: 5, errorFraction: 0.2 },
    ];
    expect(dueChanges(schedule, Number.NEGATIVE_INFINITY, 0).map((c) => c.errorFraction)).toEqual([0.1]);
    expect(dueChanges(schedule, 0, 4.9)).toEqual([]);
    expect(dueChanges(schedule, 4.9, 5.1).map((c) => c.errorFraction)).toEqual([0.2]);
    expect(dueChanges(schedule, 5.1, 99)).toEqual([]);
  });
});
