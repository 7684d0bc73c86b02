/**
 * Which webhook URLs a shift may make the daemon call: the operator's allow-list
 * (--allow-hook-url, chart value hooks.allowUrls), with the same rules as Prometheus URLs
 * (src/net/urlPolicy.ts): canonical http(s) URLs without credentials, matched against patterns in
 * which `*` stands for any run of characters but "/". Without a pattern no hook URL is allowed: a
 * TrafficShift would otherwise let anyone who may create one make the daemon POST to any address
 * it can reach (SSRF). Notification URLs (from Secrets) obey the same list, their query kept
 * (a Google Chat webhook's key and token are in it). Pure.
 */
import * as E from 'fp-ts/Either';
import { HOOK_KINDS, ResolvedSpec } from '../api/spec';
import { canonicalTarget, matchesPattern, quoted, UrlRules } from '../net/urlPolicy';

export const FLAG_ALLOW_HOOK_URL = '--allow-hook-url';

/** The operator's webhook settings the policy reads (DaemonConfig has them). */
export interface WebhookPolicyConfig {
  /** --allow-hook-url patterns, checked. Default none: no hook or notification URL from a shift is called. */
  readonly allowHookUrls?: readonly string[];
}

/**
 * The URL to send to for `url` (as written at `field`), or why it may not be called. `field` is
 * printed with the URL unless `secret` is set: a URL from a Secret is a credential and is never
 * printed, only where it came from.
 */
export const webhookTarget = (config: WebhookPolicyConfig, url: string, field: string, rules: UrlRules & { readonly secret?: boolean } = {}): E.Either<string, string> => {
  const shown = rules.secret ? `${field} (the URL in it)` : `${field}: ${quoted(url)}`;
  const canonical = canonicalTarget(url, { credentials: 'refuse', ...rules });
  if (E.isLeft(canonical)) return E.left(`${shown} ${canonical.left}`);
  const allowed = (config.allowHookUrls ?? []).some((p) => matchesPattern(p, canonical.right.checked));
  if (allowed) return E.right(canonical.right.sent);
  const hint = rules.secret ? `${FLAG_ALLOW_HOOK_URL}=<pattern>` : `${FLAG_ALLOW_HOOK_URL}=${canonical.right.checked.length <= 200 ? canonical.right.checked : '<pattern>'}`;
  return E.left(`${shown} is not an allowed webhook URL (no ${FLAG_ALLOW_HOOK_URL} pattern matches); allow it with ${hint}`);
};

/** Admission (contract D): the sentences saying why a spec's hook URLs may not be called; empty = allowed. */
export const hooksPolicy =
  (config: WebhookPolicyConfig) =>
  (namespace: string, spec: ResolvedSpec, name?: string): readonly string[] => {
    const prefix = name === undefined ? '' : `${namespace}/${name}: `;
    const refusals: string[] = [];
    for (const kind of HOOK_KINDS)
      (spec.hooks?.[kind] ?? []).forEach((hook, i) => {
        const target = webhookTarget(config, hook.url, `spec.hooks.${kind}[${i}].url`);
        if (E.isLeft(target)) refusals.push(`${prefix}${target.left}`);
      });
    return refusals;
  };
