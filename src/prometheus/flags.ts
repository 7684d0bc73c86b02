/**
 * The daemon's Prometheus allow-list settings from `sluice run` flags and the environment, checked
 * (src/daemon/config.ts calls this in its own block). Pure: values in, settings or one sentence out.
 */
import * as E from 'fp-ts/Either';
import { checkUrlPattern, FLAG_ALLOW_QUERIES, PrometheusPolicyConfig } from './access';
import { connectionsFromEnv } from './connections';

/** The raw values: repeated --allow-prometheus-url, --allow-prometheus-queries, the daemon's URL and its environment. */
export interface PrometheusFlagValues {
  readonly allowUrls?: readonly string[];
  readonly allowQueries?: string;
  /** --prometheus-url (it overrides $SLUICE_PROMETHEUS_URL for the default connection). */
  readonly prometheusUrl?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The checked settings. Fields at their default are left out (so a configuration without any of
 * them looks as before); see PrometheusPolicyConfig for the meaning and defaults.
 */
export const parsePrometheusFlags = (values: PrometheusFlagValues): E.Either<string, PrometheusPolicyConfig> => {
  const patterns: string[] = [];
  for (const p of values.allowUrls ?? []) {
    const checked = checkUrlPattern(p);
    if (E.isLeft(checked)) return checked;
    patterns.push(checked.right);
  }
  const queries = values.allowQueries ?? 'false';
  if (queries !== 'true' && queries !== 'false') return E.left(`${FLAG_ALLOW_QUERIES}: ${JSON.stringify(queries)} is not true or false`);
  const connections = connectionsFromEnv({ ...values.env, SLUICE_PROMETHEUS_URL: values.prometheusUrl ?? values.env['SLUICE_PROMETHEUS_URL'] });
  if (E.isLeft(connections)) return connections;
  return E.right({
    ...(Object.keys(connections.right).length > 0 ? { prometheusConnections: connections.right } : {}),
    ...(patterns.length > 0 ? { allowPrometheusUrls: patterns } : {}),
    ...(queries === 'true' ? { allowPrometheusQueries: true } : {}),
  });
};
