/**
 * Fuzzing the whole pure pipeline (issue 10): 10,000 TrafficShift manifests and command
 * annotations — valid, near-valid and hostile (huge, unicode, control characters, PromQL and YAML
 * injection, wrong types) — go through decode -> policy -> decide -> render. Asserted for every
 * case:
 *   - nothing throws;
 *   - every refusal names a field (a path under spec, metadata, kind or apiVersion), and every
 *     policy refusal names spec.hosts[i] or spec.gateways[i] and the flag that would allow it;
 *   - every rendered VirtualService passes routeProblems (weights integers summing to 100, every
 *     subset in the DestinationRule), routes only to the shift's own Service, never rewrites Host,
 *     and stays far below etcd's object size limit.
 * The cases are counted by outcome so the suite cannot pass vacuously.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { formatFor } from '../../../src/api/fieldError';
import { ResolvedSpec } from '../../../src/api/spec';
import { ShiftStatus } from '../../../src/api/status';
import { decodeTrafficShift, resolveSpec } from '../../../src/api/trafficShift';
import { decide } from '../../../src/core/decide';
import { Decision, GateSample, Observations } from '../../../src/core/types';
import { hostsPolicy } from '../../../src/istio/hostsPolicy';
import { serviceFqdn } from '../../../src/istio/names';
import { render } from '../../../src/istio/render';
import { routeProblems } from '../../../src/istio/safety';
import { parseCommand } from '../../../src/kube/annotations';
import { hostileText, manifestArb, NS } from './fuzzManifests';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

const sampleArb: fc.Arbitrary<(version: string, at: number) => GateSample | undefined> = fc.oneof(
  fc.constant(() => undefined),
  fc.record({ requests: fc.oneof(fc.nat(10_000), fc.double()), errors: fc.oneof(fc.nat(10_000), fc.double()), p99: fc.option(fc.double()) }).map(
    ({ requests, errors, p99 }) => (version: string, at: number): GateSample => ({ _tag: 'Measured', version, at, windowMs: 30_000, requests, errors, ...(p99 !== null ? { p99LatencyMs: p99 } : {}) }),
  ),
  hostileText.map((reason) => (version: string, at: number): GateSample => ({ _tag: 'Unavailable', version, at, reason })),
);

const policy = hostsPolicy({ allowedHosts: [{ namespace: NS, pattern: '*.example.com' }], allowedGateways: [{ namespace: NS, gateway: 'istio-system/public' }] });
const FIELD = /^(spec(\.|\[|$)|metadata\.|kind$|apiVersion$|\(document\)$)/;
const MAX_VS_CHARS = 1_000_000;

/** Every invariant of rendered routes; a sentence per broken one. */
const renderProblems = (spec: ResolvedSpec, decision: Decision): string[] => {
  if (decision.routes === undefined) return [];
  const rendered = render({ namespace: NS, name: 'reviews', uid: 'u', spec }, decision.routes);
  const problems = routeProblems(rendered.virtualService, rendered.destinationRule);
  const own = serviceFqdn(spec.service, NS);
  for (const route of rendered.virtualService.spec.http) {
    for (const d of route.route ?? []) if (d.destination.host !== own) problems.push(`routes to ${d.destination.host}`);
    const request = (route.headers as { request?: { set?: object; add?: object; remove?: string[] } } | undefined)?.request;
    const names = [...Object.keys(request?.set ?? {}), ...Object.keys(request?.add ?? {}), ...(request?.remove ?? [])];
    if (names.some((n) => n.toLowerCase() === 'host' || n.startsWith(':'))) problems.push(`rewrites Host: ${names.join(', ')}`);
  }
  const size = JSON.stringify(rendered.virtualService).length;
  if (size > MAX_VS_CHARS) problems.push(`VirtualService of ${size} characters`);
  return problems;
};

describe('decode -> policy -> decide -> render over 10,000 valid, near-valid and hostile manifests (fuzz)', () => {
  it('never throws, names the field of every refusal, and renders only safe routes to the Service itself', () => {
    const counts = { refused: 0, policyRefused: 0, policyAllowedOther: 0, decided: 0, rendered: 0, commands: 0 };
    fc.assert(
      fc.property(manifestArb, sampleArb, fc.nat(3), ({ manifest, annotations: a }, sample, readyCandidate) => {
        const decoded = decodeTrafficShift(manifest);
        if (E.isLeft(decoded)) {
          counts.refused++;
          const { namespace, name, errors } = decoded.left;
          if (errors.length === 0) throw new Error('refused without a reason');
          for (const e of errors) {
            if (!FIELD.test(e.path)) throw new Error(`refusal without a field: ${JSON.stringify(e)}`);
            const line = formatFor(namespace, name, e);
            if (!line.includes(`${e.path}: `) || e.message.length === 0) throw new Error(`refusal does not read as field: value message: ${line}`);
          }
          return;
        }
        const spec = resolveSpec(decoded.right.spec);
        const refusals = policy(NS, spec, 'reviews');
        for (const r of refusals) {
          if (!/^shop\/reviews: spec\.(hosts|gateways)\[\d+\]: .* allow it with --allow-(host|gateway)=shop=/s.test(r)) throw new Error(`policy refusal without field or flag: ${r}`);
        }
        if (refusals.length > 0) {
          counts.policyRefused++;
          return; // the daemon writes nothing for a refused spec
        }
        if (spec.hosts.some((h) => h.includes('example.com')) || spec.gateways.some((g) => g !== 'mesh')) counts.policyAllowedOther++;
        const command = parseCommand({ annotations: a, resourceVersion: '7' });
        if (command?._tag === 'Invalid' && command.reason.length === 0) throw new Error('invalid command without a reason');
        if (command !== undefined) counts.commands++;

        // Adopt the stable version, start a shift to a candidate, then reconcile with a sample and the command.
        const stable = 'v1';
        let status: ShiftStatus = {};
        const steps: { version: string; observed: Observations; at: number }[] = [
          { version: stable, observed: { pods: { [stable]: { total: 3, ready: 3 } } }, at: T0 },
          { version: spec.version, observed: { pods: { [stable]: { total: 3, ready: 3 }, [spec.version]: { total: 3, ready: readyCandidate } }, servingReady: true }, at: T0 + 1000 },
        ];
        const gate = sample(spec.version, T0 + 120_000);
        steps.push({
          version: spec.version,
          observed: { ...steps[1]!.observed, ...(gate ? { gate } : {}), ...(command ? { command } : {}) },
          at: T0 + 120_000,
        });
        for (const step of steps) {
          const s = { ...spec, version: step.version };
          const decision = decide({ namespace: NS, name: 'reviews', generation: 1, spec: s, status }, step.observed, step.at);
          counts.decided++;
          const problems = renderProblems(s, decision);
          if (problems.length > 0) throw new Error(`unsafe render: ${problems.join('; ')}`);
          if (decision.routes) counts.rendered++;
          status = decision.status;
        }
      }),
      { numRuns: 10_000 },
    );
    // Every kind of case is well represented, so the assertions are not vacuous.
    expect(counts.refused).toBeGreaterThan(2000);
    expect(counts.policyRefused).toBeGreaterThan(1000);
    expect(counts.policyAllowedOther).toBeGreaterThan(100);
    expect(counts.rendered).toBeGreaterThan(5000);
    expect(counts.commands).toBeGreaterThan(500);
  });
});
