/** Shared by the api tests: the CRD's schema, the CEL rules' JS equivalents, the samples, and a manifest builder. */
import * as E from 'fp-ts/Either';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments, parse } from 'yaml';
import { parseDuration } from '../../../src/api/duration';
import { formatFor } from '../../../src/api/fieldError';
import { decodeTrafficShift } from '../../../src/api/trafficShift';
import { applyDefaults, CelEquivalents, Schema, SchemaError, validate } from './structural';

const ROOT = join(__dirname, '..', '..', '..');
export const CRD_PATH = join(ROOT, 'charts', 'sluice', 'crds', 'trafficshift.yaml');
export const SAMPLES_DIR = join(ROOT, 'istio', 'samples');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const crd: any = parse(readFileSync(CRD_PATH, 'utf8'));
export const schema: Schema = crd.spec.versions[0].schema.openAPIV3Schema;

const ms = (d: unknown): number => (typeof d === 'string' ? parseDuration(d) ?? NaN : NaN);
const HOUR = 3_600_000;
/** CEL's size() of a string counts code points. */
const chars = (s: string): number => [...s].length;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** spec.routes holds no user route: absent, or both lists absent or empty (as the codec reads it). */
const noUserRoutes = (self: { routes?: { before?: unknown[]; after?: unknown[] } }): boolean => (self.routes?.before?.length ?? 0) + (self.routes?.after?.length ?? 0) === 0;

/** What each CEL rule in the CRD means, in JS. structuralProblems fails on a rule missing here. */
export const CEL: CelEquivalents = {
  'size(self.metadata.name) <= 63': (self) => String(self.metadata?.name ?? '').length <= 63,
  'duration(self.progressDeadline) >= duration(self.analysis.interval)': (self) => ms(self.progressDeadline) >= ms(self.analysis.interval),
  '(has(self.canary) ? 1 : 0) + (has(self.blueGreen) ? 1 : 0) + (has(self.abTest) ? 1 : 0) == 1': (self) =>
    [self.canary, self.blueGreen, self.abTest].filter((x) => x !== undefined).length === 1,
  'self.isSorted() && self.all(x, self.exists_one(y, y == x))': (self: number[]) => self.every((x, i) => i === 0 || x > self[i - 1]!),
  "duration(self) >= duration('1s') && duration(self) <= duration('576h')": (self) => ms(self) >= 1000 && ms(self) <= 576 * HOUR,
  "duration(self) >= duration('1s') && duration(self) <= duration('24h')": (self) => ms(self) >= 1000 && ms(self) <= 24 * HOUR,
  "duration(self) >= duration('1ms') && duration(self) <= duration('24h')": (self) => ms(self) >= 1 && ms(self) <= 24 * HOUR,
  "duration(self) <= duration('576h')": (self) => ms(self) <= 576 * HOUR,
  'self.all(k, size(k) >= 1 && size(k) <= 128)': (self) => Object.keys(self).every((k) => chars(k) >= 1 && chars(k) <= 128),
  'self.all(k, size(k) >= 1 && size(k) <= 316)': (self) => Object.keys(self).every((k) => chars(k) >= 1 && chars(k) <= 316),
  'self.all(k, size(k) <= 128 && k.matches("^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$") && !k.matches("^[Hh][Oo][Ss][Tt]$"))': (self) =>
    Object.keys(self).every((k) => chars(k) <= 128 && HEADER_NAME.test(k) && !/^host$/i.test(k)),
  'self.all(k, size(k) <= 128 && k.matches("^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$"))': (self) => Object.keys(self).every((k) => chars(k) <= 128 && HEADER_NAME.test(k)),
  'self.all(h, !h.matches("^[Hh][Oo][Ss][Tt]$"))': (self: string[]) => self.every((h) => !/^host$/i.test(h)),
  'self.from != self.to': (self) => self.from !== self.to,
  "!has(self.method) || self.method != 'sequential' || !has(self.noData) || self.noData != 'fail'": (self) => self.method !== 'sequential' || self.noData !== 'fail',
  '!has(self.compareTo) || !has(self.query)': (self) => self.compareTo === undefined || self.query === undefined,
  'self.all(x, self.exists_one(y, y.name == x.name))': (self: { name: string }[]) => self.every((x) => self.filter((y) => y.name === x.name).length === 1),
  "duration(self) >= duration('1s') && duration(self) <= duration('60s')": (self) => ms(self) >= 1000 && ms(self) <= 60_000,
  'self.all(k, size(k) >= 1 && size(k) <= 63)': (self) => Object.keys(self).every((k) => chars(k) >= 1 && chars(k) <= 63),
  "!self.matches('^__([Ss][Ee][Cc][Uu][Rr][Ee]|[Hh][Oo][Ss][Tt])-')": (self: string) => !/^__(secure|host)-/i.test(self),
  // spec.routes (user routes)
  '(has(self.route) ? 1 : 0) + (has(self.redirect) ? 1 : 0) + (has(self.directResponse) ? 1 : 0) == 1': (self) =>
    [self.route, self.redirect, self.directResponse].filter((x) => x !== undefined).length === 1,
  '!has(self.rewrite) || !has(self.redirect)': (self) => self.rewrite === undefined || self.redirect === undefined,
  "!(self in ['primary', 'preview', 'ab-test', 'sticky', 'sticky-expire'])": (self: string) => !['primary', 'preview', 'ab-test', 'sticky', 'sticky-expire'].includes(self),
  'size(self) == 1 ? (!has(self[0].weight) || self[0].weight == 100) : (self.all(d, has(d.weight)) && self.map(d, d.weight).sum() == 100)': (self: { weight?: number }[]) =>
    self.length === 1 ? self[0]!.weight === undefined || self[0]!.weight === 100 : self.every((d) => d.weight !== undefined) && self.reduce((s, d) => s + (d.weight ?? 0), 0) === 100,
  '!has(self.subset)': (self) => self.subset === undefined,
  "!has(self.routes) || ((!has(self.routes.before) || size(self.routes.before) == 0) && (!has(self.routes.after) || size(self.routes.after) == 0)) || !has(self.protocol) || self.protocol != 'tcp'": (self) => noUserRoutes(self) || self.protocol !== 'tcp',
  "!has(self.routes) || ((!has(self.routes.before) || size(self.routes.before) == 0) && (!has(self.routes.after) || size(self.routes.after) == 0)) || !has(self.routing) || self.routing != 'gatewayAPI'": (self) => noUserRoutes(self) || self.routing !== 'gatewayAPI',
  "!has(self.versionLabel) || self.versionLabel == 'version' || (has(self.analysis) && has(self.analysis.query))": (self) =>
    self.versionLabel === undefined || self.versionLabel === 'version' || self.analysis?.query !== undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.strategy.abTest)": (self) => self.protocol !== 'tcp' || self.strategy?.abTest === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.strategy.blueGreen) || !has(self.strategy.blueGreen.previewMatch)": (self) =>
    self.protocol !== 'tcp' || self.strategy?.blueGreen?.previewMatch === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.strategy.canary) || !has(self.strategy.canary.sessionAffinity)": (self) =>
    self.protocol !== 'tcp' || self.strategy?.canary?.sessionAffinity === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.strategy.canary) || !has(self.strategy.canary.mirror)": (self) =>
    self.protocol !== 'tcp' || self.strategy?.canary?.mirror === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.strategy.blueGreen) || !has(self.strategy.blueGreen.mirror)": (self) =>
    self.protocol !== 'tcp' || self.strategy?.blueGreen?.mirror === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.route)": (self) => self.protocol !== 'tcp' || self.route === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.analysis) || !has(self.analysis.maxP99LatencyMs)": (self) =>
    self.protocol !== 'tcp' || self.analysis?.maxP99LatencyMs === undefined,
  "!has(self.protocol) || self.protocol != 'tcp' || !has(self.routing) || self.routing != 'gatewayAPI'": (self) => self.protocol !== 'tcp' || self.routing !== 'gatewayAPI',
};

/** Validation as the API server does it: defaults first, then schema and CEL rules. */
export const crdErrors = (manifest: unknown): SchemaError[] => validate(schema, applyDefaults(schema, manifest), CEL);

/** The codec's lines for a manifest, as `sluice plan` prints them; [] when it decodes. */
export const codecErrors = (manifest: unknown): string[] => {
  const decoded = decodeTrafficShift(manifest);
  return E.isLeft(decoded) ? decoded.left.errors.map((e) => formatFor(decoded.left.namespace, decoded.left.name, e)) : [];
};

/** Every document of every sample file, with its file name. */
export const sampleDocuments = (): { file: string; doc: Record<string, unknown> }[] =>
  readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) => parseAllDocuments(readFileSync(join(SAMPLES_DIR, file), 'utf8')).map((d) => ({ file, doc: d.toJSON() as Record<string, unknown> })));

export const sampleShifts = () => sampleDocuments().filter((d) => d.doc.kind === 'TrafficShift');

/** shop/reviews with the given spec. */
export const manifest = (spec: Record<string, unknown>, name = 'reviews'): Record<string, unknown> => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'TrafficShift',
  metadata: { name, namespace: 'shop' },
  spec,
});

export const minimalCanary = { service: 'reviews', version: 'v2', strategy: { canary: { steps: [10, 50] } } };

/** minimalCanary as the CRD's defaults fill it in (and as resolveSpec assumes): the API server and the unit schema walker must both give this. */
export const minimalCanaryDefaulted = {
  ...minimalCanary,
  strategy: { canary: { steps: [10, 50], stepInterval: '1m' } },
  gateways: ['mesh'],
  versionLabel: 'version',
  analysis: { interval: '30s', maxErrorRate: 0.01, minRequests: 20, failureThreshold: 2, noData: 'hold', method: 'sequential', falseFailureRate: 0.01 },
  manualPromotion: false,
  progressDeadline: '10m',
  adopt: false,
  routing: 'virtualService',
};
