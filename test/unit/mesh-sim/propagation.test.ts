import { advance, observe, propagated } from '../../mesh-sim/propagation';

describe('route propagation delay', () => {
  it('keeps acting on the old routes until the delay since the watch event has passed', () => {
    let p = observe(propagated('80/20'), '50/50', 10_000, 1000);
    p = advance(p, 10_999);
    expect(p.current).toBe('80/20');
    p = advance(p, 11_000);
    expect(p.current).toBe('50/50');
    expect(p.pending).toEqual([]);
  });

  it('applies quick successive changes in order, each after its own delay', () => {
    let p = observe(propagated('a'), 'b', 0, 1000);
    p = observe(p, 'c', 500, 1000);
    expect(advance(p, 1200).current).toBe('b');
    expect(advance(advance(p, 1200), 1500).current).toBe('c');
    expect(advance(p, 1500).current).toBe('c'); // a late tick jumps to the newest due value
  });

  it('applies at once with a zero delay', () => {
    expect(advance(observe(propagated(1), 2, 50, 0), 50).current).toBe(2);
  });
});
