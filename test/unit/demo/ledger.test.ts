import { firstFailureMs, LedgerJson, ratePoints, totalsBetween } from '../../../demo/ledger';

const T0 = 1_700_000_000_000;
const ledger: LedgerJson = {
  startedAtMs: T0,
  services: {
    'shop/reviews': {
      v2: [{ second: 0, requests: 40, failures: 0 }, { second: 10, requests: 36, failures: 0 }],
      v3: [
        { second: 10, requests: 4, failures: 0 },
        { second: 11, requests: 4, failures: 1 },
        { second: 12, requests: 5, failures: 2 },
        { second: 13, requests: 5, failures: 0 },
      ],
    },
  },
};

describe('ledger reading', () => {
  it('adds up one version from a moment on, counting the second that straddles it', () => {
    expect(totalsBetween(ledger, 'shop/reviews', 'v3', T0 + 10_500)).toEqual({ requests: 18, failures: 3 });
    expect(totalsBetween(ledger, 'shop/reviews', 'v3', T0 + 11_000, T0 + 13_000)).toEqual({ requests: 9, failures: 3 });
    expect(totalsBetween(ledger, 'shop/reviews', 'v2', T0 + 5_000)).toEqual({ requests: 36, failures: 0 });
  });

  it('knows nothing of versions or services it never saw', () => {
    expect(totalsBetween(ledger, 'shop/reviews', 'v9', T0)).toEqual({ requests: 0, failures: 0 });
    expect(totalsBetween(ledger, 'shop/ratings', 'v1', T0)).toEqual({ requests: 0, failures: 0 });
    expect(firstFailureMs(ledger, 'shop/reviews', 'v2', T0)).toBeUndefined();
  });

  it('finds the start of the first second with a failure', () => {
    expect(firstFailureMs(ledger, 'shop/reviews', 'v3', T0 + 9_000)).toBe(T0 + 11_000);
    expect(firstFailureMs(ledger, 'shop/reviews', 'v3', T0 + 12_000)).toBe(T0 + 12_000);
  });

  it('buckets the error rate, leaving out buckets without requests', () => {
    expect(ratePoints(ledger, 'shop/reviews', 'v3', T0 + 10_000, T0 + 20_000, 2)).toEqual([
      { t: 1, rate: 1 / 8 },
      { t: 3, rate: 2 / 10 },
    ]);
  });
});
