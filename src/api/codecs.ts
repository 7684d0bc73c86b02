/**
 * Small io-ts codecs whose failures carry a sentence instead of a type dump. Each failure message
 * is "what was expected" (see FieldError); `toFieldErrors` turns io-ts Errors into FieldErrors with
 * a readable path. Objects are strict: an unknown key is reported, which catches typos such as
 * `stratgy` that a structural schema would silently prune.
 */
import * as t from 'io-ts';
import { formatDuration, parseDuration } from './duration';
import { FieldError, fieldError } from './fieldError';

/** A codec for values `check` accepts; `expected` is the failure's sentence end. */
export const leaf = <A>(name: string, expected: string, check: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, check, (u, c) => (check(u) ? t.success(u) : t.failure(u, c, expected)), t.identity);

/** A non-empty string. */
export const nonEmptyString = leaf('string', 'is not a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 label, as Kubernetes object names of Services are. */
export const dnsLabel = leaf(
  'dnsLabel',
  'is not a valid name (expected lower-case letters, digits and "-", at most 63 characters)',
  (u): u is string => typeof u === 'string' && u.length <= 63 && DNS_LABEL.test(u),
);

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A non-empty Kubernetes label value. */
export const labelValue = leaf(
  'labelValue',
  'is not a valid label value (expected letters, digits, "-", "_" or ".", at most 63 characters)',
  (u): u is string => typeof u === 'string' && u.length <= 63 && LABEL_VALUE.test(u),
);

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A Kubernetes label key, optionally prefixed (`app.kubernetes.io/version`). */
export const labelKey = leaf(
  'labelKey',
  'is not a valid label key (expected e.g. "version" or "app.kubernetes.io/version")',
  (u): u is string => typeof u === 'string' && u.length <= 316 && LABEL_KEY.test(u),
);

export const boolean = leaf('boolean', 'is not true or false', (u): u is boolean => typeof u === 'boolean');

/** An integer in [min, max]. */
export const intIn = (min: number, max: number) =>
  leaf(`int[${min},${max}]`, `is not an integer from ${min} to ${max}`, (u): u is number => Number.isInteger(u) && (u as number) >= min && (u as number) <= max);

/** A number in [min, max]. */
export const numberIn = (min: number, max: number) =>
  leaf(`number[${min},${max}]`, `is not a number from ${min} to ${max}`, (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max);

/** A number strictly between min and max. */
export const numberBetween = (min: number, max: number) =>
  leaf(`number(${min},${max})`, `is not a number greater than ${min} and less than ${max}`, (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > min && u < max);

/** One of the given words. */
export const oneOfWords = <W extends string>(words: readonly W[]) =>
  leaf(words.join('|'), `is not one of ${words.join(', ')}`, (u): u is W => typeof u === 'string' && (words as readonly string[]).includes(u));

/** Characters in a string as Kubernetes counts them for maxLength (code points, not UTF-16 units). */
export const charCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** A non-empty string of at most `max` characters (the CRD carries the same maxLength). */
export const boundedString = (max: number) =>
  leaf(`string(${max})`, `is not a non-empty string of at most ${max} characters`, (u): u is string => typeof u === 'string' && u.length > 0 && charCount(u) <= max);

/** A string (possibly empty) of at most `max` characters. */
export const textUpTo = (max: number) =>
  leaf(`text(${max})`, `is not a string of at most ${max} characters`, (u): u is string => typeof u === 'string' && charCount(u) <= max);

/** Longest duration text accepted ("1h1h1h..." could otherwise be arbitrarily long). */
export const DURATION_MAX_CHARS = 32;

/**
 * A Go-style duration string ("30s", "1m30s") from `minMs` to `maxMs`; decodes to the string
 * itself. Every duration in the spec has an upper bound so that no timer derived from it exceeds
 * what setTimeout/setInterval can hold (2^31-1 ms) and no date derived from it leaves Date's range.
 */
export const duration = (minMs: number, maxMs: number) =>
  leaf(
    'duration',
    minMs > 0
      ? `is not a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)} (expected e.g. "30s", "1m", "1h30m")`
      : `is not a duration of at most ${formatDuration(maxMs)} (expected e.g. "30s", "1m", "1h30m")`,
    (u): u is string => {
      if (typeof u !== 'string' || u.length > DURATION_MAX_CHARS) return false;
      const ms = parseDuration(u);
      return ms !== undefined && ms >= minMs && ms <= maxMs;
    },
  );

/** Any JSON object, kept as is (for Istio fields sluice passes through without owning them). */
export const jsonObject = leaf('object', 'is not an object', (u): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u));

/**
 * A JSON object kept as is, at most `maxChars` characters as JSON: it is copied into every
 * generated route, so its size bounds the VirtualService's. (The CRD cannot bound the size of a
 * free-form object; only its number of top-level keys, `maxKeys`, which both check.)
 */
export const boundedJsonObject = (maxChars: number, maxKeys: number) =>
  new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
    `object(${maxChars})`,
    (u): u is Record<string, unknown> => jsonObject.is(u),
    (u, c) => {
      if (!jsonObject.is(u)) return t.failure(u, c, 'is not an object');
      const keys = Object.keys(u).length;
      if (keys > maxKeys) return t.failure(u, c, `has ${keys} keys; expected at most ${maxKeys}`);
      const size = JSON.stringify(u).length;
      return size <= maxChars ? t.success(u) : t.failure(u, c, `is ${size} characters as JSON; expected at most ${maxChars}`);
    },
    t.identity,
  );

/** A map of string to string. */
export const stringMap = leaf('map[string]string', 'is not a map of strings to strings', (u): u is Record<string, string> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && Object.values(u).every((v) => typeof v === 'string'));

/**
 * An array whose items are decoded by `item`; the message for a non-array names the item kind.
 * With `maxItems`, a longer list is refused as a whole (the CRD's maxItems).
 */
export const arrayOf = <C extends t.Mixed>(item: C, what: string, maxItems?: number) => {
  const inner = t.array(item);
  return new t.Type<t.TypeOf<C>[], t.OutputOf<C>[], unknown>(
    `Array<${item.name}>`,
    inner.is,
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c, `is not a list of ${what}`);
      if (maxItems !== undefined && u.length > maxItems) return t.failure(u, c, `has ${u.length} items; expected at most ${maxItems}`);
      return inner.validate(u, c);
    },
    inner.encode,
  );
};

/**
 * A map whose values are decoded by `value`, with at most `maxKeys` keys of at most `maxKeyChars`
 * characters each and every key accepted by `key` (a predicate and what it expects). A bad key is
 * reported at the map's path with the key as the value.
 */
export const mapOf = <C extends t.Mixed>(
  value: C,
  limits: { readonly maxKeys: number; readonly maxKeyChars: number; readonly key?: { readonly test: (k: string) => boolean; readonly expected: string } },
) => {
  const inner = t.record(t.string, value);
  return new t.Type<Record<string, t.TypeOf<C>>, Record<string, t.OutputOf<C>>, unknown>(
    `Map<${value.name}>`,
    inner.is,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'is not a map');
      const keys = Object.keys(u);
      if (keys.length > limits.maxKeys) return t.failure(u, c, `has ${keys.length} keys; expected at most ${limits.maxKeys}`);
      const errors: t.ValidationError[] = [];
      for (const k of keys) {
        // Reported at the map, with the key as the value: where the API server's CEL rule on the map points too.
        const keyProblem =
          k.length === 0 || charCount(k) > limits.maxKeyChars
            ? `is a key of ${charCount(k)} characters; expected keys of 1 to ${limits.maxKeyChars}`
            : limits.key && !limits.key.test(k) ? limits.key.expected : undefined;
        if (keyProblem !== undefined) errors.push({ value: k, context: c, message: keyProblem });
      }
      const validated = inner.validate(u, c);
      if (validated._tag === 'Left') errors.push(...validated.left);
      return errors.length > 0 ? t.failures(errors) : validated;
    },
    inner.encode,
  );
};

/**
 * A strict object: required and optional properties, unknown keys reported. Like t.intersection of
 * t.type and t.partial with t.exact, but with sentences.
 */
export const struct = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) => {
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const inner = t.intersection([t.type(required), t.partial(optional)]);
  type A = t.TypeOf<typeof inner>;
  // Encode through the members so nested alternatives ({ kind, value }) turn back into the written form.
  return new t.Type<A, t.OutputOf<typeof inner>, unknown>(
    name,
    (u): u is A => inner.is(u),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'is not an object');
      // Every problem at once: unknown keys, missing keys, then what the known fields say, so a
      // typo does not hide a bad value elsewhere in the same object.
      const errors: t.ValidationError[] = [];
      for (const k of Object.keys(u).filter((key) => !known.has(key)))
        errors.push({
          value: (u as Record<string, unknown>)[k],
          context: [...c, { key: k, type: t.unknown, actual: (u as Record<string, unknown>)[k] }],
          message: `is not a known field (known: ${[...known].join(', ')})`,
        });
      for (const k of Object.keys(required).filter((key) => (u as Record<string, unknown>)[key] === undefined))
        errors.push({ value: undefined, context: [...c, { key: k, type: required[k]!, actual: undefined }], message: 'is required' });
      const validated = inner.validate(u, c);
      if (validated._tag === 'Left') errors.push(...validated.left);
      return errors.length > 0 ? t.failures(errors) : (validated as t.Validation<A>);
    },
    (a) => inner.encode(a),
  );
};

/** Exactly one of the given keys must be present; decodes to `{ kind, value }`. */
export const exactlyOneOf = <P extends Record<string, t.Mixed>>(name: string, alternatives: P) => {
  type A = { [K in keyof P]: { kind: K; value: t.TypeOf<P[K]> } }[keyof P];
  const keys = Object.keys(alternatives);
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => typeof u === 'object' && u !== null && 'kind' in u,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `is not an object with exactly one of ${keys.join(', ')}`);
      const present = Object.keys(u).filter((k) => (u as Record<string, unknown>)[k] !== undefined);
      const unknown = present.filter((k) => !keys.includes(k));
      if (unknown.length > 0 || present.length !== 1)
        return t.failure(u, c, `has ${present.length === 0 ? 'none' : present.join(' and ')}; expected exactly one of ${keys.join(', ')}`);
      const kind = present[0]!;
      const codec = alternatives[kind]!;
      const inner = codec.validate((u as Record<string, unknown>)[kind], [...c, { key: kind, type: codec, actual: (u as Record<string, unknown>)[kind] }]);
      return inner._tag === 'Right' ? t.success({ kind, value: inner.right } as A) : inner;
    },
    (a) => ({ [a.kind as string]: alternatives[a.kind]!.encode(a.value) }),
  );
};

/** Path of an io-ts context: `spec.strategy.canary.steps[2]`. Intersection members (numeric keys on non-arrays) are skipped. */
const pathOf = (context: t.Context): string => {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i]!;
    const parent = context[i - 1]!;
    if (/^\d+$/.test(entry.key)) {
      if (Array.isArray(parent.actual)) path += `[${entry.key}]`;
      continue;
    }
    path += path === '' ? entry.key : `.${entry.key}`;
  }
  return path;
};

/** io-ts Errors as FieldErrors, deduplicated by path (an intersection may report the same field twice). */
export const toFieldErrors = (errors: t.Errors, prefix = ''): FieldError[] => {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of errors) {
    const inner = pathOf(e.context);
    const path = prefix && inner ? `${prefix}.${inner}` : prefix || inner;
    if (seen.has(path)) continue;
    seen.add(path);
    out.push(fieldError(path, e.value, e.message ?? `is not a valid ${e.context[e.context.length - 1]?.type.name ?? 'value'}`));
  }
  return out;
};
