import * as E from 'fp-ts/Either';
import { BODY_LIMIT_BYTES, Fetch, SENTENCE_LIMIT, describePromError, displayUrl, prometheusClient } from '../../../src/prometheus/client';

type Call = Parameters<Fetch>;

/** A fetch that records its calls and answers with `status` and `body` (or throws `error`). */
const fakeFetch = (answer: { status?: number; body?: string; error?: unknown }) => {
  const calls: Call[] = [];
  const fetchFn: Fetch = async (url, init) => {
    calls.push([url, init]);
    if (answer.error !== undefined) throw answer.error;
    return { status: answer.status ?? 200, text: async () => answer.body ?? '' };
  };
  return { fetchFn, calls };
};

const vectorBody = JSON.stringify({
  status: 'success',
  data: {
    resultType: 'vector',
    result: [
      { metric: { destination_version: 'v2' }, value: [1763776800, '12.5'] },
      { metric: { destination_version: 'v3' }, value: [1763776800, 'NaN'] },
    ],
  },
});

describe('prometheusClient.query', () => {
  it('posts the query and time as a form to /api/v1/query under the URL path', async () => {
    const { fetchFn, calls } = fakeFetch({ body: vectorBody });
    const result = await prometheusClient({ url: 'http://prom:9090/prefix/' }, fetchFn).query('up', 1_763_776_800_500)();
    expect(result).toEqual(E.right([{ labels: { destination_version: 'v2' }, value: 12.5 }, { labels: { destination_version: 'v3' }, value: NaN }]));
    const [url, init] = calls[0]!;
    expect(url).toBe('http://prom:9090/prefix/api/v1/query');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('query=up&time=1763776800.500');
  });

  it('sends the bearer token and custom headers', async () => {
    const { fetchFn, calls } = fakeFetch({ body: vectorBody });
    await prometheusClient({ url: 'http://prom:9090', bearerToken: 't0k', headers: { 'X-Scope-OrgID': 'team-a' } }, fetchFn).query('up')();
    expect(calls[0]![1].headers).toMatchObject({ Authorization: 'Bearer t0k', 'X-Scope-OrgID': 'team-a' });
  });

  it('turns credentials in the URL into basic auth and never shows them', async () => {
    const { fetchFn, calls } = fakeFetch({ status: 502, body: '<html>Bad Gateway</html>' });
    const result = await prometheusClient({ url: 'http://ann:s3cret@prom:9090' }, fetchFn).query('up')();
    expect(calls[0]![0]).toBe('http://prom:9090/api/v1/query');
    expect(calls[0]![1].headers['Authorization']).toBe(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
    expect(result).toEqual(E.left({ _tag: 'Http', url: 'http://prom:9090', status: 502, json: false, bytes: 24 }));
  });

  it('reads a scalar as one series without labels', async () => {
    const { fetchFn } = fakeFetch({ body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '+Inf'] } }) });
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('x')()).toEqual(E.right([{ labels: {}, value: Infinity }]));
  });

  it('classifies a PromQL error from its error document, whatever the HTTP status', async () => {
    const { fetchFn } = fakeFetch({ status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }) });
    const result = await prometheusClient({ url: 'http://p' }, fetchFn).query('sum(')();
    expect(result).toEqual(E.left({ _tag: 'PromQL', url: 'http://p', errorType: 'bad_data', error: 'parse error at char 5' }));
  });

  it('classifies an answer it cannot read as Decode', async () => {
    const { fetchFn } = fakeFetch({ body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) });
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('x[5m]')()).toEqual(
      E.left({ _tag: 'Decode', url: 'http://p', message: 'expected an instant vector or a scalar, got matrix' }),
    );
  });

  it('classifies a refused connection as Network, with the cause', async () => {
    const { fetchFn } = fakeFetch({ error: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } }) });
    expect(await prometheusClient({ url: 'http://127.0.0.1:9' }, fetchFn).query('up')()).toEqual(
      E.left({ _tag: 'Network', url: 'http://127.0.0.1:9', message: 'connect ECONNREFUSED 127.0.0.1:9' }),
    );
  });

  it('aborts a request that takes longer than the timeout and says Timeout', async () => {
    jest.useFakeTimers();
    try {
      const hanging: Fetch = (_url, init) =>
        new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
      const pending = prometheusClient({ url: 'http://p', timeoutMs: 2000 }, hanging).query('up')();
      await jest.advanceTimersByTimeAsync(2000);
      expect(await pending).toEqual(E.left({ _tag: 'Timeout', url: 'http://p', timeoutMs: 2000 }));
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('prometheusClient against hostile answers', () => {
  const SECRET = 'internal-secret-4711';

  it('asks fetch not to follow redirects, and reports a 3xx as a Redirect without reading it', async () => {
    const { fetchFn, calls } = fakeFetch({ status: 302, body: `see ${SECRET}` });
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('up')()).toEqual(E.left({ _tag: 'Redirect', url: 'http://p', status: 302 }));
    expect(calls[0]![1].redirect).toBe('manual');
  });

  it('reports a non-JSON error page by status and size, never its text', async () => {
    const { fetchFn } = fakeFetch({ status: 502, body: `<html>${SECRET}</html>` });
    const result = await prometheusClient({ url: 'http://p' }, fetchFn).query('up')();
    expect(result).toEqual(E.left({ _tag: 'Http', url: 'http://p', status: 502, json: false, bytes: 33 }));
    expect(E.isLeft(result) && describePromError(result.left)).toBe('Prometheus at http://p answered HTTP 502: non-JSON body (33 bytes)');
    const ok200 = await prometheusClient({ url: 'http://p' }, fakeFetch({ body: SECRET }).fetchFn).query('up')();
    expect(ok200).toEqual(E.left({ _tag: 'Decode', url: 'http://p', message: 'non-JSON body (20 bytes)' }));
    const json = await prometheusClient({ url: 'http://p' }, fakeFetch({ status: 500, body: JSON.stringify({ secret: SECRET }) }).fetchFn).query('up')();
    expect(json).toEqual(E.left({ _tag: 'Http', url: 'http://p', status: 500, json: true, bytes: 33 }));
    const series = await prometheusClient({ url: 'http://p' }, fakeFetch({ body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { a: SECRET } }] } }) }).fetchFn).query('up')();
    expect(series).toEqual(E.left({ _tag: 'Decode', url: 'http://p', message: 'series 0 of the vector has no labels or no numeric value' }));
  });

  it("clips Prometheus' own error text and keeps control characters out", async () => {
    const error = `bad\n\u0000${'x'.repeat(10_000)}`;
    const { fetchFn } = fakeFetch({ status: 400, body: JSON.stringify({ status: 'error', errorType: 'weird type!', error }) });
    const result = await prometheusClient({ url: 'http://p' }, fetchFn).query('up')();
    if (E.isRight(result) || result.left._tag !== 'PromQL') throw new Error(`expected a PromQL error, got ${JSON.stringify(result)}`);
    expect(result.left.errorType).toBe('unknown');
    expect(result.left.error).toMatch(/^bad x+…$/);
    expect(result.left.error.length).toBeLessThanOrEqual(201);
  });

  it(`stops reading a body at ${BODY_LIMIT_BYTES} bytes`, async () => {
    let pulled = 0;
    let cancelled = false;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        pulled += 1;
        controller.enqueue(chunk);
      },
      cancel: () => {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    const fetchFn: Fetch = async () => ({ status: 200, body, text: async () => { throw new Error('text() must not be used'); } });
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('up')()).toEqual(E.left({ _tag: 'TooLarge', url: 'http://p', limit: BODY_LIMIT_BYTES }));
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(BODY_LIMIT_BYTES / chunk.length + 2);
  });

  it('does not start reading a body whose Content-Length is over the limit', async () => {
    let read = false;
    const fetchFn: Fetch = async () => ({
      status: 200,
      headers: { get: (name: string) => (name === 'content-length' ? String(50 * BODY_LIMIT_BYTES) : null) },
      text: async () => {
        read = true;
        return '';
      },
    });
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('up')()).toEqual(E.left({ _tag: 'TooLarge', url: 'http://p', limit: BODY_LIMIT_BYTES }));
    expect(read).toBe(false);
  });

  it('reads a streamed body under the limit as usual', async () => {
    const fetchFn: Fetch = async () => {
      const res = new Response(vectorBody, { status: 200 });
      return res as unknown as Awaited<ReturnType<Fetch>>;
    };
    expect(await prometheusClient({ url: 'http://p' }, fetchFn).query('up')()).toMatchObject(E.right([{ value: 12.5 }, {}]));
  });
});

describe('describePromError', () => {
  it('says what happened in one sentence per case', () => {
    expect(describePromError({ _tag: 'Network', url: 'http://p', message: 'getaddrinfo ENOTFOUND p' })).toBe('Prometheus at http://p could not be reached: getaddrinfo ENOTFOUND p');
    expect(describePromError({ _tag: 'Timeout', url: 'http://p', timeoutMs: 500 })).toBe('Prometheus at http://p did not answer within 500 ms');
    expect(describePromError({ _tag: 'Http', url: 'http://p', status: 502, json: false, bytes: 1234 })).toBe('Prometheus at http://p answered HTTP 502: non-JSON body (1234 bytes)');
    expect(describePromError({ _tag: 'Http', url: 'http://p', status: 503, json: true, bytes: 12 })).toBe('Prometheus at http://p answered HTTP 503: a JSON body that is not a Prometheus error (12 bytes)');
    expect(describePromError({ _tag: 'Redirect', url: 'http://p', status: 302 })).toBe('Prometheus at http://p answered HTTP 302 (a redirect); sluice does not follow redirects, configure the final URL');
    expect(describePromError({ _tag: 'TooLarge', url: 'http://p', limit: 1048576 })).toBe('Prometheus at http://p sent more than 1048576 bytes; sluice stopped reading');
    expect(describePromError({ _tag: 'PromQL', url: 'http://p', errorType: 'execution', error: 'query timed out' })).toBe('Prometheus at http://p rejected the query (execution): query timed out');
    expect(describePromError({ _tag: 'Decode', url: 'http://p', message: 'non-JSON body (6 bytes)' })).toBe('Prometheus at http://p sent an answer sluice cannot read: non-JSON body (6 bytes)');
  });

  it('never exceeds its limit, whatever the parts', () => {
    const sentence = describePromError({ _tag: 'Network', url: `http://p/${'u'.repeat(5000)}`, message: 'm'.repeat(5000) });
    expect(sentence.length).toBeLessThanOrEqual(SENTENCE_LIMIT + 1);
  });

  it('shows URLs without credentials or query strings', () => {
    expect(displayUrl('https://u:p@thanos.example:443/q/?x=1')).toBe('https://thanos.example/q');
  });
});
