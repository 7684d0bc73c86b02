/**
 * A small validator for the part of Kubernetes structural OpenAPI v3 the TrafficShift CRD uses,
 * behaving as the API server does with strict field validation: defaults are applied first
 * (nested, so `default: {}` fills the fields below), unknown fields are errors unless
 * x-kubernetes-preserve-unknown-fields, and x-kubernetes-validations (CEL) rules are evaluated
 * through JS equivalents keyed by the exact rule text — a rule without one fails the test, so a
 * new CEL rule cannot slip in unproven.
 */

export interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly fieldPath?: string;
}

export interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: Schema;
  readonly items?: Schema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  /** OpenAPI v3.0: the bound itself is outside the range. */
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
}

/** JS equivalents of the CEL rules, by exact rule text. `self` is the value at the rule's node. */
export type CelEquivalents = Readonly<Record<string, (self: any) => boolean>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SchemaError {
  readonly path: string;
  readonly message: string;
}

const KEYWORDS = new Set([
  'type', 'description', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'default', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'minProperties', 'maxProperties',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const typeOk = (type: Schema['type'], v: unknown): boolean => {
  switch (type) {
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
    default: return true;
  }
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** Problems that would make the API server refuse the schema as non-structural or that this validator cannot judge. */
export const structuralProblems = (schema: Schema, rules: CelEquivalents, path = ''): string[] => {
  const out: string[] = [];
  for (const key of Object.keys(schema)) if (!KEYWORDS.has(key)) out.push(`${path || '(root)'}: unsupported keyword ${key}`);
  if (schema.type === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.push(`${path || '(root)'}: no type`);
  if (schema.properties && schema.additionalProperties) out.push(`${path}: both properties and additionalProperties`);
  for (const r of schema['x-kubernetes-validations'] ?? []) if (!(r.rule in rules)) out.push(`${path}: no JS equivalent for CEL rule ${r.rule}`);
  if (schema.default !== undefined) {
    const errors = validate(schema, schema.default, rules, path);
    if (errors.length > 0) out.push(`${path}: default does not validate: ${errors.map((e) => e.message).join('; ')}`);
  }
  for (const [k, s] of Object.entries(schema.properties ?? {})) out.push(...structuralProblems(s, rules, join(path, k)));
  if (schema.additionalProperties) out.push(...structuralProblems(schema.additionalProperties, rules, `${path}.*`));
  if (schema.items) out.push(...structuralProblems(schema.items, rules, `${path}[*]`));
  return out;
};

/** A copy of `value` with schema defaults filled where fields are missing, at every depth. */
export const applyDefaults = (schema: Schema, value: unknown): unknown => {
  if (isObject(value)) {
    const out: Record<string, unknown> = { ...value };
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
      if (out[k] !== undefined) out[k] = applyDefaults(s, out[k]);
    }
    if (schema.additionalProperties) for (const k of Object.keys(out)) out[k] = applyDefaults(schema.additionalProperties, out[k]);
    return out;
  }
  if (Array.isArray(value) && schema.items) return value.map((v) => applyDefaults(schema.items!, v));
  return value;
};

/** Every violation of `schema` by `value` (defaults are not applied here; see applyDefaults). */
export const validate = (schema: Schema, value: unknown, rules: CelEquivalents, path = ''): SchemaError[] => {
  const at = path || '(root)';
  const fail = (message: string): SchemaError[] => [{ path: at, message }];
  if (!typeOk(schema.type, value)) return fail(`expected ${schema.type}`);
  const errors: SchemaError[] = [];
  const check = (ok: boolean, message: string) => { if (!ok) errors.push({ path: at, message }); };
  if (schema.enum) check(schema.enum.includes(value), `expected one of ${schema.enum.join(', ')}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined)
      check(schema.exclusiveMinimum ? value > schema.minimum : value >= schema.minimum, `${schema.exclusiveMinimum ? 'at or ' : ''}below minimum ${schema.minimum}`);
    if (schema.maximum !== undefined)
      check(schema.exclusiveMaximum ? value < schema.maximum : value <= schema.maximum, `${schema.exclusiveMaximum ? 'at or ' : ''}above maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    // The API server counts characters (code points), not UTF-16 units.
    const length = [...value].length;
    if (schema.minLength !== undefined) check(length >= schema.minLength, `shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined) check(length <= schema.maxLength, `longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined) check(new RegExp(schema.pattern).test(value), `does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined) check(value.length >= schema.minItems, `fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined) check(value.length <= schema.maxItems, `more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(schema.items!, v, rules, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (schema.minProperties !== undefined) check(keys.length >= schema.minProperties, `fewer than ${schema.minProperties} properties`);
    if (schema.maxProperties !== undefined) check(keys.length <= schema.maxProperties, `more than ${schema.maxProperties} properties`);
    for (const r of schema.required ?? []) if (value[r] === undefined) errors.push({ path: join(path, r), message: 'required' });
    // ObjectMeta is validated by the API server itself, not by the CRD schema.
    if (path === 'metadata') return errors;
    for (const k of keys) {
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (sub) errors.push(...validate(sub, value[k], rules, join(path, k)));
      else if (!schema['x-kubernetes-preserve-unknown-fields']) errors.push({ path: join(path, k), message: 'unknown field' });
    }
  }
  // Like the API server, CEL rules run only on values whose own shape is valid.
  if (errors.length === 0)
    for (const r of schema['x-kubernetes-validations'] ?? []) {
      const holds = rules[r.rule];
      if (holds === undefined) errors.push({ path: at, message: `no JS equivalent for CEL rule ${r.rule}` });
      else if (!holds(value)) errors.push({ path: r.fieldPath ? `${path}${r.fieldPath}` : at, message: r.message ?? r.rule });
    }
  return errors;
};
