/**
 * Field-level validation errors. Every message a user sees names the object, the field path, the
 * value and what was expected:
 *   shop/reviews: spec.strategy.canary.steps[2]: 40 is not greater than the previous step 50
 */
export interface FieldError {
  /** Dotted path with array indices, e.g. `spec.strategy.canary.steps[2]`. */
  readonly path: string;
  /** The offending value; `undefined` when the field is missing. */
  readonly value: unknown;
  /** What was expected, as the end of a sentence: `is not greater than the previous step 50`. */
  readonly message: string;
}

export const fieldError = (path: string, value: unknown, message: string): FieldError => ({ path, value, message });

/** A value as it appears in an error line: strings quoted, missing fields named as such, objects as compact JSON. */
export const showValue = (value: unknown): string => {
  if (value === undefined) return '(missing)';
  if (typeof value === 'string') return JSON.stringify(value);
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};

/** `path: value message`, the part after `<namespace>/<name>: `. */
export const formatFieldError = (e: FieldError): string => `${e.path}: ${showValue(e.value)} ${e.message}`;

/** The full one-line message for an object. */
export const formatFor = (namespace: string, name: string, e: FieldError): string =>
  `${namespace}/${name}: ${formatFieldError(e)}`;
