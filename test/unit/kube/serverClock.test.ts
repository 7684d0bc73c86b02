import { medianOffset, offsetFrom } from '../../../src/kube/serverClock';

describe('the API server clock', () => {
  it('reads the offset from the Date header at the midpoint of the request, half a second past the stamp', () => {
    const sent = Date.parse('2026-12-03T10:00:00.000Z');
    // The server's clock says 10:05:00 while ours says 10:00:00.100 at the midpoint.
    expect(offsetFrom('Thu, 03 Dec 2026 10:05:00 GMT', sent, sent + 200)).toEqual({ _tag: 'Offset', offsetMs: 5 * 60_000 + 500 - 100 });
    // A replica ten minutes ahead gets a negative offset.
    expect(offsetFrom('Thu, 03 Dec 2026 09:50:00 GMT', sent, sent)).toEqual({ _tag: 'Offset', offsetMs: -10 * 60_000 + 500 });
  });

  it('says why there is no reading', () => {
    expect(offsetFrom(undefined, 0, 1)).toEqual({ _tag: 'NoReading', reason: 'no usable Date header (null)' });
    expect(offsetFrom('yesterday', 0, 1)).toEqual({ _tag: 'NoReading', reason: 'no usable Date header ("yesterday")' });
  });

  it('keeps the median of recent readings, so one slow round trip does not move it', () => {
    expect(medianOffset([])).toBe(0);
    expect(medianOffset([1000, 900, 30_000])).toBe(1000);
    expect(medianOffset([1000, 1200])).toBe(1100);
  });
});
