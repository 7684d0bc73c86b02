import { Ledger, secondOf } from '../../mesh-sim/ledger';

describe('ground-truth ledger', () => {
  it('counts requests and failures per service, version and second', () => {
    const l = new Ledger(1_000_000);
    l.book({ service: 'shop/reviews', version: 'v1', second: 0, failed: false });
    l.book({ service: 'shop/reviews', version: 'v1', second: 0, failed: true });
    l.book({ service: 'shop/reviews', version: 'v2', second: 1, failed: false });
    l.book({ service: 'shop/ratings', version: 'v1', second: 1, failed: false });
    expect(l.toJSON()).toEqual({
      startedAtMs: 1_000_000,
      services: {
        'shop/reviews': { v1: [{ second: 0, requests: 2, failures: 1 }], v2: [{ second: 1, requests: 1, failures: 0 }] },
        'shop/ratings': { v1: [{ second: 1, requests: 1, failures: 0 }] },
      },
    });
  });

  it('lists seconds in ascending order whatever the booking order', () => {
    const l = new Ledger(0);
    for (const second of [3, 1, 2]) l.book({ service: 's/a', version: 'v1', second, failed: false });
    expect(l.toJSON().services['s/a'].v1.map((c) => c.second)).toEqual([1, 2, 3]);
  });

  it('totals a span of seconds per version', () => {
    const l = new Ledger(0);
    for (let second = 0; second < 10; second++) {
      l.book({ service: 's/a', version: 'v1', second, failed: second % 2 === 0 });
      l.book({ service: 's/a', version: 'v2', second, failed: false });
    }
    expect(l.totals('s/a', 2, 6)).toEqual({ v1: { requests: 4, failures: 2 }, v2: { requests: 4, failures: 0 } });
    expect(l.totals('s/unknown')).toEqual({});
  });

  it('numbers seconds from the start', () => {
    expect(secondOf(10_000, 10_999)).toBe(0);
    expect(secondOf(10_000, 11_000)).toBe(1);
    expect(secondOf(10_000, 9_000)).toBe(0);
  });
});
