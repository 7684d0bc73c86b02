/**
 * Reading one key of a Secret named by a spec (spec.hooks.signingSecret, spec.notify[].urlSecret),
 * in the shift's namespace, straight from the API server with `get` (no watch: the daemon never
 * lists Secrets), kept for a short while so a busy shift does not read it on every call. The
 * value never enters a sentence: errors name the Secret and the key only.
 */
import * as E from 'fp-ts/Either';
import * as TE from 'fp-ts/TaskEither';
import { SecretKeyRef } from '../api/spec';
import { Kube } from '../kube/kube';
import { Resource } from '../kube/objects';

export const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' };

/** Why a Secret key could not be read, in a sentence naming the Secret and key (never the value). */
export interface SecretError {
  readonly _tag: 'SecretUnavailable';
  readonly message: string;
}

export interface SecretReader {
  /** The bytes of `ref.key` of Secret `namespace/ref.name`. */
  readonly read: (namespace: string, ref: SecretKeyRef) => TE.TaskEither<SecretError, Buffer>;
}

/** How long a value read is used before it is read again. */
export const SECRET_TTL_MS = 30_000;

export const secretReader = (kube: Pick<Kube, 'get'>, now: () => number = Date.now, ttlMs = SECRET_TTL_MS): SecretReader => {
  const cache = new Map<string, { readonly at: number; readonly value: Buffer }>();
  return {
    read: (namespace, ref) => async () => {
      const id = `${namespace}/${ref.name}/${ref.key}`;
      const hit = cache.get(id);
      if (hit !== undefined && now() - hit.at < ttlMs) return E.right(hit.value);
      const where = `Secret ${namespace}/${ref.name}`;
      const fail = (message: string): E.Either<SecretError, Buffer> => E.left({ _tag: 'SecretUnavailable', message });
      const got = await kube.get({ resource: SECRETS, namespace, name: ref.name })();
      if (E.isLeft(got)) {
        switch (got.left._tag) {
          case 'NotFound':
            return fail(`${where} does not exist`);
          case 'Forbidden':
            return fail(`the daemon may not read ${where} (it needs get on secrets in ${namespace})`);
          default:
            return fail(`could not read ${where}: ${got.left.message}`);
        }
      }
      const data = (got.right as { data?: Record<string, string> }).data ?? {};
      const encoded = data[ref.key];
      if (encoded === undefined) return fail(`${where} has no key ${JSON.stringify(ref.key)}`);
      const value = Buffer.from(encoded, 'base64');
      if (value.length === 0) return fail(`${where} key ${JSON.stringify(ref.key)} is empty`);
      cache.set(id, { at: now(), value });
      return E.right(value);
    },
  };
};
