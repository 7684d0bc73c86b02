/**
 * The cluster-wide notification target of `sluice run`: a format (--notify-provider), a lowest
 * severity (--notify-severity) and a URL from the environment ($SLUICE_NOTIFY_URL, which the chart
 * fills from a Secret: the URL is a credential and never a flag). Pure.
 */
import * as E from 'fp-ts/Either';
import { NOTIFY_PROVIDERS, NotifyProvider, Severity, SEVERITIES } from '../api/spec';
import { canonicalTarget } from '../net/urlPolicy';

export interface NotifyDefault {
  readonly provider: NotifyProvider;
  /** Where to POST (with its query, when it carries one). */
  readonly url: string;
  readonly severity: Severity;
}

/** The default target from the flag values and $SLUICE_NOTIFY_URL; undefined when none is set. */
export const parseNotifyDefault = (provider: string | undefined, severity: string | undefined, url: string | undefined): E.Either<string, NotifyDefault | undefined> => {
  if (provider === undefined && (url === undefined || url === '')) {
    if (severity !== undefined) return E.left('--notify-severity: set --notify-provider and $SLUICE_NOTIFY_URL too (there is no cluster-wide target without them)');
    return E.right(undefined);
  }
  if (provider === undefined) return E.left('$SLUICE_NOTIFY_URL is set but --notify-provider is not; expected one of slack, teams, googleChat, generic');
  if (!(NOTIFY_PROVIDERS as readonly string[]).includes(provider)) return E.left(`--notify-provider: ${JSON.stringify(provider)} is not one of ${NOTIFY_PROVIDERS.join(', ')}`);
  const level = severity ?? 'info';
  if (!(SEVERITIES as readonly string[]).includes(level)) return E.left(`--notify-severity: ${JSON.stringify(level)} is not one of ${SEVERITIES.join(', ')}`);
  if (url === undefined || url === '') return E.left(`--notify-provider ${provider} needs $SLUICE_NOTIFY_URL (the chart sets it from notify.urlSecret)`);
  const target = canonicalTarget(url, { credentials: 'refuse', query: 'keep' });
  // The URL is a credential: say what is wrong with it, never what it is.
  if (E.isLeft(target)) return E.left(`$SLUICE_NOTIFY_URL ${target.left}`);
  return E.right({ provider: provider as NotifyProvider, url: target.right.sent, severity: level as Severity });
};
