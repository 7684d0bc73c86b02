/**
 * A small, strict command-line parser for the operator commands: `--flag value`, `--flag=value`,
 * `-n value`, boolean switches, positionals, and `--` to end flags. Unknown flags are usage errors
 * (a typo such as `--namspace` must not silently act on the default namespace).
 */
import * as E from 'fp-ts/Either';

export interface FlagDef {
  /** Spellings, e.g. ['-n', '--namespace']. */
  readonly names: readonly string[];
  /** A switch takes no value; a string flag takes exactly one. */
  readonly kind: 'switch' | 'string';
}

export interface Parsed<K extends string> {
  readonly flags: Partial<Record<K, string | true>>;
  readonly positionals: readonly string[];
}

/** Parse `args` against `defs`; Left: one sentence for the usage line. */
export const parseFlags = <K extends string>(args: readonly string[], defs: Readonly<Record<K, FlagDef>>): E.Either<string, Parsed<K>> => {
  const byName = new Map<string, [K, FlagDef]>();
  for (const key of Object.keys(defs) as K[]) for (const name of defs[key].names) byName.set(name, [key, defs[key]]);
  const flags: Partial<Record<K, string | true>> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const found = byName.get(name);
    if (!found) return E.left(`unknown flag ${name}`);
    const [key, def] = found;
    if (def.kind === 'switch') {
      if (eq > 0) return E.left(`flag ${name} takes no value`);
      flags[key] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[i + 1];
    if (value === undefined || (eq < 0 && value.startsWith('-') && value !== '-')) return E.left(`flag ${name} needs a value`);
    if (value === '') return E.left(`flag ${name} needs a non-empty value`);
    flags[key] = value;
    if (eq < 0) i += 1;
  }
  return E.right({ flags, positionals });
};

/** The flags every operator command accepts. */
export const COMMON_FLAGS = {
  namespace: { names: ['-n', '--namespace'], kind: 'string' },
  kubeconfig: { names: ['--kubeconfig'], kind: 'string' },
  help: { names: ['-h', '--help'], kind: 'switch' },
} as const satisfies Record<string, FlagDef>;

/** A string flag's value (undefined for a switch or when absent). */
export const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * NAME as written: `reviews`, or `shop/reviews` naming the namespace too (as the samples do).
 * Left when it is malformed or disagrees with -n.
 */
export const splitName = (arg: string, namespaceFlag: string | undefined): E.Either<string, { namespace?: string; name: string }> => {
  const parts = arg.split('/');
  if (parts.length === 1) return E.right({ name: arg, ...(namespaceFlag !== undefined ? { namespace: namespaceFlag } : {}) });
  const [namespace, name] = parts;
  if (parts.length > 2 || !namespace || !name) return E.left(`NAME ${JSON.stringify(arg)} is not NAME or NAMESPACE/NAME`);
  if (namespaceFlag !== undefined && namespaceFlag !== namespace) return E.left(`NAME ${JSON.stringify(arg)} is in namespace ${namespace}, but -n says ${namespaceFlag}`);
  return E.right({ namespace, name });
};
