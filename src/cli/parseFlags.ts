/**
 * The one command-line parser of sluice: every command (`run`, `plan`, the SRE commands, `get`,
 * `status`, `dashboard`) and the demo parse their flags here. Node's `util.parseArgs` splits the
 * arguments into tokens (`--flag value`, `--flag=value`, `-n value`, `-nvalue`, grouped switches
 * `-Aw`, `--` to end flags); this module checks them against a table of flags and says what is
 * wrong in one sentence naming the flag, the value and the expected form. Unknown flags are errors
 * (a typo such as `--namspace` must not silently act on the default namespace). Values are checked
 * and converted by the caller through `flagValue`, so every bad value reads the same way.
 */
import * as E from 'fp-ts/Either';
import { parseArgs } from 'node:util';

/** One flag of a command. */
export type FlagDef =
  /** Present or absent; takes no value (`--wait`). */
  | { readonly names: readonly string[]; readonly kind: 'switch' }
  /** `--flag` (true), `--flag=true` or `--flag=false`; the value never comes from the next argument. */
  | { readonly names: readonly string[]; readonly kind: 'bool' }
  /** Takes one value; `value` names its form for messages (`NAMESPACE`); `repeat`: may be given more than once. */
  | { readonly names: readonly string[]; readonly kind: 'string'; readonly value: string; readonly repeat?: boolean };

/** What a flag's value parses to: a switch true, a bool a boolean, a repeated string flag all its values. */
export type FlagValue<D extends FlagDef> = D extends { kind: 'switch' } ? true : D extends { kind: 'bool' } ? boolean : D extends { repeat: true } ? readonly string[] : string;

export interface Parsed<Defs extends Readonly<Record<string, FlagDef>>> {
  /** The flags given (absent ones are missing). */
  readonly flags: { readonly [K in keyof Defs]?: FlagValue<Defs[K]> };
  /** The arguments that are not flags, in order (everything after `--` among them). */
  readonly positionals: readonly string[];
}

/** `--timeout: "abc" is not a duration (expected e.g. "30s")`: the sentence for a value of the wrong form. */
export const badValue = (flag: string, value: string, expected: string): string => `${flag}: ${JSON.stringify(value)} is not ${expected}`;

/** Converts a flag's text with `parse` (undefined: not of the form), or says what was expected. */
export const flagValue = <A>(flag: string, text: string, parse: (text: string) => A | undefined, expected: string): E.Either<string, A> => {
  const value = parse(text);
  return value === undefined ? E.left(badValue(flag, text, expected)) : E.right(value);
};

/** A TCP port, 0..65535 (0: the system picks a free one). */
export const parsePort = (text: string): number | undefined => (/^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined);

/** "true" / "false" (a bool flag's or environment variable's text). */
export const parseBool = (text: string): boolean | undefined => (text === 'true' ? true : text === 'false' ? false : undefined);

/** Parse `args` against `defs`; Left: one sentence for the usage line. */
export const parseFlags = <Defs extends Readonly<Record<string, FlagDef>>>(args: readonly string[], defs: Defs): E.Either<string, Parsed<Defs>> => {
  // util.parseArgs is told every spelling as a string or boolean option of its own (so "-n" and
  // "--namespace" both arrive as tokens) and left non-strict: its own errors would not name the
  // expected form, and its strict mode takes "-1" for a flag. The checks are below.
  const byName = new Map<string, [keyof Defs & string, FlagDef]>();
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [key, def] of Object.entries(defs) as [keyof Defs & string, FlagDef][])
    for (const name of def.names) {
      const bare = name.replace(/^--?/, '');
      byName.set(bare, [key, def]);
      options[bare] = { type: def.kind === 'string' ? 'string' : 'boolean' };
    }
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  const positionals: string[] = [];
  const numbers = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    const raw = args[token.index]!;
    // A negative number is an argument, not a group of switches ("set-weight reviews -1" is then
    // refused as a weight); util.parseArgs gives one token per digit, the argument is kept once.
    if (/^-\d/.test(raw)) {
      if (!numbers.has(token.index)) positionals.push(raw);
      numbers.add(token.index);
      continue;
    }
    const flag = token.rawName;
    const found = byName.get(token.name);
    if (!found) return E.left(`unknown flag ${flag}`);
    const [key, def] = found;
    const given = seen.get(key);
    if (given !== undefined && !(def.kind === 'string' && def.repeat)) return E.left(`flag ${flag} given twice${given === flag ? '' : ` (as ${given} and ${flag})`}`);
    seen.set(key, flag);
    switch (def.kind) {
      case 'switch':
        if (token.value !== undefined) return E.left(`flag ${flag} takes no value (got ${JSON.stringify(token.value)})`);
        flags[key] = true;
        break;
      case 'bool': {
        const value = token.value === undefined ? true : parseBool(token.value);
        if (value === undefined) return E.left(badValue(flag, token.value!, 'true or false'));
        flags[key] = value;
        break;
      }
      case 'string': {
        // "-n=shop" as "--namespace=shop" (util.parseArgs would keep the "=").
        const value = token.inlineValue && raw.startsWith(`${flag}=`) && !flag.startsWith('--') ? token.value?.slice(1) : token.value;
        const form = `${flag} ${def.value}`;
        // util.parseArgs takes the next argument whatever it is; "-n --wait" is a missing value.
        if (value === undefined || (!token.inlineValue && value.startsWith('-') && value !== '-')) return E.left(`flag ${flag} needs a value (${form})`);
        if (value === '') return E.left(`flag ${flag} needs a non-empty value (${form})`);
        flags[key] = def.repeat ? [...((flags[key] as string[] | undefined) ?? []), value] : value;
        break;
      }
    }
  }
  return E.right({ flags: flags as Parsed<Defs>['flags'], positionals });
};

/** The flags every operator command accepts. */
export const COMMON_FLAGS = {
  namespace: { names: ['-n', '--namespace'], kind: 'string', value: 'NAMESPACE' },
  kubeconfig: { names: ['--kubeconfig'], kind: 'string', value: 'FILE' },
  help: { names: ['-h', '--help'], kind: 'switch' },
} as const satisfies Record<string, FlagDef>;

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
