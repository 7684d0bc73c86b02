/**
 * Which hosts and gateways a TrafficShift may route: operator policy, pure.
 *
 * sluice writes VirtualServices with cluster-wide rights, so a shift must not use them for traffic
 * its author was never given. By default a shift may route only its own Service's hosts — the
 * short name, `name.namespace`, `name.namespace.svc` and `name.namespace.svc.<clusterDomain>` —
 * through the `mesh` gateway (sidecars). Anything else is allowed only by the operator:
 *   --allow-host=<namespace>=<pattern>     a host pattern for shifts in <namespace> ("*": every
 *                                          namespace); pattern: "api.example.com", "*.example.com",
 *                                          or "*"; "{namespace}" in it stands for the shift's namespace
 *   --allow-gateway=<namespace>=<gw-namespace>/<gw-name>   a Gateway shifts in <namespace> may bind
 *
 * Hosts are compared case-insensitively (DNS names). A wildcard spec host ("*.example.com") is
 * allowed only when a pattern covers every name it matches. A gateway written without a namespace
 * means the shift's namespace, as Istio reads it.
 */
import * as E from 'fp-ts/Either';
import { ResolvedSpec } from '../api/spec';
import { DEFAULT_CLUSTER_DOMAIN } from './types';

/** One --allow-host rule. */
export interface HostRule {
  /** Namespace of the shifts it applies to; "*" for every namespace. */
  readonly namespace: string;
  /** "api.example.com", "*.example.com" or "*"; may contain "{namespace}". */
  readonly pattern: string;
}

/** One --allow-gateway rule. */
export interface GatewayRule {
  /** Namespace of the shifts it applies to; "*" for every namespace. */
  readonly namespace: string;
  /** The Gateway, "<namespace>/<name>". */
  readonly gateway: string;
}

/** The part of the daemon's configuration the hosts policy reads (DaemonConfig has these fields). */
export interface HostsPolicyConfig {
  /** Cluster DNS domain of Service FQDNs. Default "cluster.local". */
  readonly clusterDomain?: string;
  /** Extra hosts shifts may route. Default none: only their own Service's hosts. */
  readonly allowedHosts?: readonly HostRule[];
  /** Gateways shifts may bind besides `mesh`. Default none. */
  readonly allowedGateways?: readonly GatewayRule[];
}

/** A refusal of a spec by operator policy: sentences, empty when allowed (contract D). */
export type SpecPolicy = (namespace: string, spec: ResolvedSpec, name?: string) => readonly string[];

export const MESH_GATEWAY = 'mesh';

/** The names a shift's own Service goes by. */
export const ownHosts = (service: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): readonly string[] => [
  service,
  `${service}.${namespace}`,
  `${service}.${namespace}.svc`,
  `${service}.${namespace}.svc.${clusterDomain}`,
];

/** True when every name `host` can match is matched by `pattern` (both lower-cased). */
export const hostCovered = (host: string, pattern: string): boolean => {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.com"
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return host === pattern;
};

/** A gateway as Istio reads it in a VirtualService of `namespace`: "mesh", else "<ns>/<name>". */
export const qualifiedGateway = (gateway: string, namespace: string): string =>
  gateway === MESH_GATEWAY || gateway.includes('/') ? gateway : `${namespace}/${gateway}`;

const appliesTo = (ruleNamespace: string, namespace: string): boolean => ruleNamespace === '*' || ruleNamespace === namespace;

/**
 * The hosts/gateways policy (contract D): `(namespace, spec, name?) => sentences`, empty when the
 * spec routes only what it may. With `name` each sentence starts `<namespace>/<name>: `.
 */
export const hostsPolicy = (config: HostsPolicyConfig): SpecPolicy => {
  const domain = config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const hostRules = config.allowedHosts ?? [];
  const gatewayRules = config.allowedGateways ?? [];
  return (namespace, spec, name) => {
    const prefix = name === undefined ? '' : `${namespace}/${name}: `;
    const own = new Set(ownHosts(spec.service, namespace, domain));
    const patterns = hostRules.filter((r) => appliesTo(r.namespace, namespace)).map((r) => r.pattern.replaceAll('{namespace}', namespace).toLowerCase());
    const gateways = new Set(gatewayRules.filter((r) => appliesTo(r.namespace, namespace)).map((r) => r.gateway));
    const problems: string[] = [];
    spec.hosts.forEach((raw, i) => {
      const host = raw.toLowerCase();
      if (own.has(host) || patterns.some((p) => hostCovered(host, p))) return;
      problems.push(
        `${prefix}spec.hosts[${i}]: ${JSON.stringify(raw)} is not a name of Service ${namespace}/${spec.service} ` +
          `(expected one of ${[...own].join(', ')}); allow it with --allow-host=${namespace}=${host}`,
      );
    });
    spec.gateways.forEach((raw, i) => {
      const gateway = qualifiedGateway(raw, namespace);
      if (gateway === MESH_GATEWAY || gateways.has(gateway)) return;
      problems.push(`${prefix}spec.gateways[${i}]: ${JSON.stringify(raw)} is not an allowed gateway (expected "mesh"); allow it with --allow-gateway=${namespace}=${gateway}`);
    });
    return problems;
  };
};

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain, as names of Gateways are. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_PATTERN = /^(\*|(\*\.)?([a-z0-9{}]([-a-z0-9{}]*[a-z0-9{}])?)(\.[a-z0-9{}]([-a-z0-9{}]*[a-z0-9{}])?)*)$/;

const ruleNamespace = (flag: string, text: string): E.Either<string, [string, string]> => {
  const eq = text.indexOf('=');
  const ns = eq > 0 ? text.slice(0, eq) : '';
  if (eq <= 0 || !(ns === '*' || (ns.length <= 63 && NAMESPACE.test(ns))))
    return E.left(`--${flag}: ${JSON.stringify(text)} does not start with a namespace (expected <namespace>=..., "*" for every namespace)`);
  return E.right([ns, text.slice(eq + 1)]);
};

/** `--allow-host=<namespace>=<pattern>`, or a sentence saying what is wrong. */
export const parseHostRule = (text: string): E.Either<string, HostRule> => {
  const split = ruleNamespace('allow-host', text);
  if (E.isLeft(split)) return split;
  const [namespace, pattern] = split.right;
  const lower = pattern.toLowerCase();
  const probe = lower.replaceAll('{namespace}', 'ns');
  if (lower.length === 0 || lower.length > 253 || !HOST_PATTERN.test(lower) || /[{}]/.test(probe))
    return E.left(`--allow-host: ${JSON.stringify(pattern)} is not a host pattern (expected e.g. "api.example.com", "*.example.com", "*.{namespace}.example.com" or "*")`);
  return E.right({ namespace, pattern: lower });
};

/** `--allow-gateway=<namespace>=<gw-namespace>/<gw-name>`, or a sentence saying what is wrong. */
export const parseGatewayRule = (text: string): E.Either<string, GatewayRule> => {
  const split = ruleNamespace('allow-gateway', text);
  if (E.isLeft(split)) return split;
  const [namespace, gateway] = split.right;
  const [gwNs, gwName, ...rest] = gateway.split('/');
  const objectName = (s: string | undefined): boolean => s !== undefined && s.length <= 253 && OBJECT_NAME.test(s);
  if (rest.length > 0 || gwNs === undefined || !(gwNs.length <= 63 && NAMESPACE.test(gwNs)) || !objectName(gwName))
    return E.left(`--allow-gateway: ${JSON.stringify(gateway)} is not a gateway (expected <gateway-namespace>/<gateway-name>, e.g. istio-system/public)`);
  return E.right({ namespace, gateway });
};

const CLUSTER_DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The daemon flags of this policy (--allow-host, --allow-gateway, --cluster-domain), all rules checked. */
export const parseHostsPolicyFlags = (flags: {
  readonly allowHost: readonly string[];
  readonly allowGateway: readonly string[];
  readonly clusterDomain?: string;
}): E.Either<string, Required<HostsPolicyConfig>> => {
  const clusterDomain = flags.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  if (!CLUSTER_DOMAIN.test(clusterDomain) || clusterDomain.length > 253)
    return E.left(`--cluster-domain: ${JSON.stringify(clusterDomain)} is not a DNS domain (expected e.g. "cluster.local")`);
  const allowedHosts: HostRule[] = [];
  for (const text of flags.allowHost) {
    const rule = parseHostRule(text);
    if (E.isLeft(rule)) return rule;
    allowedHosts.push(rule.right);
  }
  const allowedGateways: GatewayRule[] = [];
  for (const text of flags.allowGateway) {
    const rule = parseGatewayRule(text);
    if (E.isLeft(rule)) return rule;
    allowedGateways.push(rule.right);
  }
  return E.right({ clusterDomain, allowedHosts, allowedGateways });
};
