/**
 * The one interface to webhook receivers (hooks and notifications alike): POST a JSON body to a
 * URL and say how it ended, in a closed union with sentences. One attempt per call; retrying is
 * the caller's (src/hooks/runner.ts, bounded by the hook's retries). Redirects are not followed:
 * a redirect could lead outside the operator's allow-list, so a 3xx is just an answer.
 */
import * as TE from 'fp-ts/TaskEither';

/** Why a request got no HTTP answer. */
export type PostError =
  | { readonly _tag: 'Timeout'; readonly message: string }
  | { readonly _tag: 'Unreachable'; readonly message: string };

export interface PostRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Abandon the request (connect, send, answer) after this long. */
  readonly timeoutMs: number;
  /** Abort early (the daemon stops leading or shuts down). */
  readonly signal?: AbortSignal;
}

export interface PostAnswer {
  /** HTTP status code. */
  readonly code: number;
}

export interface WebhookClient {
  /** One POST; Left when there was no HTTP answer. */
  readonly post: (request: PostRequest) => TE.TaskEither<PostError, PostAnswer>;
}

/** Bytes of an answer's body read at most (then the connection is dropped): sluice only needs the status code. */
const MAX_BODY_BYTES = 64 * 1024;

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`);

/** The cause of a failed fetch as a sentence (ECONNREFUSED 127.0.0.1:9 rather than "fetch failed"). */
const causeOf = (e: unknown): string => {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message !== undefined && !cause.message.startsWith(cause.code) ? ` (${cause.message})` : ''}`;
  return e instanceof Error ? e.message : String(e);
};

const drain = async (response: Response): Promise<void> => {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  let read = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    read += chunk.value.byteLength;
    if (read > MAX_BODY_BYTES) return void (await reader.cancel());
  }
};

/** The production client: Node's fetch, a timeout per request, no redirects, the answer's body drained and dropped. */
export const fetchClient = (userAgent: string): WebhookClient => ({
  post: (request) => async () => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal !== undefined ? AbortSignal.any([timeout, request.signal]) : timeout;
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        body: request.body,
        headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent, ...request.headers },
        redirect: 'manual',
        signal,
      });
      await drain(response).catch(() => undefined);
      return { _tag: 'Right', right: { code: response.status } };
    } catch (e) {
      if (timeout.aborted) return { _tag: 'Left', left: { _tag: 'Timeout', message: `no answer within ${seconds(request.timeoutMs)}` } };
      if (request.signal?.aborted) return { _tag: 'Left', left: { _tag: 'Unreachable', message: 'abandoned: the daemon stopped leading' } };
      return { _tag: 'Left', left: { _tag: 'Unreachable', message: `could not connect: ${causeOf(e)}` } };
    }
  },
});
