import type { Api } from '../../../bench/scale/api';
import { foreignWork } from '../../../bench/scale/quiet';

/** An Api answering GETs from fixed bodies by path (and the continue token), as the API server pages lists. */
const answering = (bodies: Record<string, unknown>): Api => {
  const json = async <T>(req: { path: string; query?: Record<string, string> }): Promise<T> => {
    const key = req.query?.continue ? `${req.path}?${req.query.continue}` : req.path;
    if (!(key in bodies)) throw new Error(`unexpected ${key}`);
    return bodies[key] as T;
  };
  return { send: () => Promise.reject(new Error('unused')), json: json as Api['json'], each: () => Promise.resolve() };
};

const shift = (namespace: string, name = 'svc') => ({ metadata: { namespace, name } });

describe('scale bench: what a cluster-wide daemon would act on besides the benchmark', () => {
  it('names terminating namespaces and TrafficShifts outside the prefix, over every page', async () => {
    const api = answering({
      '/api/v1/namespaces': { items: [{ metadata: { name: 'sb-1-s0' }, status: { phase: 'Active' } }, { metadata: { name: 'seq-shared-x' }, status: { phase: 'Terminating' } }] },
      '/apis/sluice.dev/v1alpha1/trafficshifts': { items: [shift('sb-1-s0'), shift('d-healthy-a', 'reviews')], metadata: { continue: 'p2' } },
      '/apis/sluice.dev/v1alpha1/trafficshifts?p2': { items: [shift('sb-10-s0'), shift('sb-1-s1')] },
    });
    expect(await foreignWork(api, 'sb-1')).toEqual([
      'namespace seq-shared-x (Terminating)',
      'TrafficShift d-healthy-a/reviews',
      'TrafficShift sb-10-s0/svc',
    ]);
  });

  it('is empty when only the benchmark is there', async () => {
    const api = answering({
      '/api/v1/namespaces': { items: [{ metadata: { name: 'default' }, status: { phase: 'Active' } }] },
      '/apis/sluice.dev/v1alpha1/trafficshifts': { items: [shift('sb-1-s0')] },
    });
    expect(await foreignWork(api, 'sb-1')).toEqual([]);
  });
});
