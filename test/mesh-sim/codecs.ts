/**
 * Small io-ts codecs whose failures carry a sentence, and a reporter that turns io-ts errors into
 * lines like `services[0].rps: "fast" is not a number from 0 to 100000`.
 */
import * as t from 'io-ts';

const leaf = <A>(name: string, expected: string, check: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, check, (u, c) => (check(u) ? t.success(u) : t.failure(u, c, expected)), t.identity);

export const nonEmptyString = leaf('string', 'is not a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0);

export const numberIn = (min: number, max: number) =>
  leaf('number', `is not a number from ${min} to ${max}`, (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max);

export const intIn = (min: number, max: number) =>
  leaf('integer', `is not an integer from ${min} to ${max}`, (u): u is number => Number.isInteger(u) && (u as number) >= min && (u as number) <= max);

export const stringMap = leaf('map', 'is not a map of strings to strings', (u): u is Record<string, string> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && Object.values(u).every((v) => typeof v === 'string'));

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

type Out<P extends t.Props> = { [K in keyof P]: t.TypeOf<P[K]> };

/**
 * An object with required and optional fields. Unknown fields are errors, which catches typos
 * (`errorFracton`) that a structural codec would silently drop.
 */
export const struct = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) => {
  type A = Out<R> & Partial<Out<O>>;
  const known = [...Object.keys(required), ...Object.keys(optional)];
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => isRecord(u),
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, 'is not an object');
      const errors: t.Errors = [];
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(u)) {
        if (!known.includes(k)) {
          errors.push({ value: u[k], context: t.appendContext(c, k, t.unknown, u[k]), message: `is not a known field (expected one of ${known.join(', ')})` });
        }
      }
      const fields: [string, t.Mixed, boolean][] = [
        ...Object.entries(required).map(([k, v]): [string, t.Mixed, boolean] => [k, v, true]),
        ...Object.entries(optional).map(([k, v]): [string, t.Mixed, boolean] => [k, v, false]),
      ];
      for (const [k, codec, isRequired] of fields) {
        if (u[k] === undefined) {
          if (isRequired) errors.push({ value: undefined, context: t.appendContext(c, k, codec, undefined), message: 'is required' });
          continue;
        }
        const r = codec.validate(u[k], t.appendContext(c, k, codec, u[k]));
        if (r._tag === 'Left') errors.push(...r.left);
        else out[k] = r.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as A);
    },
    t.identity,
  );
};

/** A list; a non-list is reported as such rather than as a type dump. */
export const listOf = <C extends t.Mixed>(item: C, what: string) => {
  const inner = t.array(item);
  return new t.Type<t.TypeOf<C>[], t.TypeOf<C>[], unknown>(
    `Array<${item.name}>`,
    inner.is,
    (u, c) => (Array.isArray(u) ? inner.validate(u, c) : t.failure(u, c, `is not a list of ${what}`)),
    t.identity,
  );
};

const showValue = (v: unknown): string => {
  if (v === undefined) return '';
  const json = JSON.stringify(v) ?? String(v);
  return `${json.length > 60 ? `${json.slice(0, 57)}...` : json} `;
};

const pathOf = (context: t.Context): string =>
  context
    .slice(1)
    .map((e) => (/^\d+$/.test(e.key) ? `[${e.key}]` : `.${e.key}`))
    .join('')
    .replace(/^\./, '');

/** One line per error: `path: value message`. */
export const formatErrors = (errors: t.Errors): readonly string[] =>
  errors.map((e) => {
    const path = pathOf(e.context);
    return `${path === '' ? '(root)' : path}: ${showValue(e.value)}${e.message ?? 'is not valid'}`;
  });
