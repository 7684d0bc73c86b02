import { deploymentFor, deploymentOf, parseManifests, sampleApp } from '../../../demo/app';

const SAMPLE = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{port: 9080, name: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: shop, labels: {app: reviews, version: v1}}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec:
      containers:
      - name: reviews
        image: example.invalid/reviews:v1
        env: [{name: VERSION, value: v1}]
`;

describe('sample app', () => {
  it('finds the Service and the versioned Deployment', () => {
    const s = sampleApp(parseManifests(SAMPLE));
    if (typeof s === 'string') throw new Error(s);
    expect(s.app).toEqual({ namespace: 'shop', service: 'reviews' });
    expect(s.base.version).toBe('v1');
    expect(s.base.deployment.metadata?.name).toBe('reviews-v1');
    expect(s.others.map((o) => o.kind)).toEqual(['Namespace', 'Service']);
  });

  it("uses the sample's own Deployment of a version and clones the base for the others", () => {
    const s = sampleApp(parseManifests(`${SAMPLE}---\n${SAMPLE.split('---')[2].replace(/v1/g, 'v2').replace('reviews:v2', 'reviews-two:v2')}`));
    if (typeof s === 'string') throw new Error(s);
    expect((deploymentOf(s, 'v2') as any).spec.template.spec.containers[0].image).toBe('example.invalid/reviews-two:v2');
    expect((deploymentOf(s, 'v4') as any).metadata.name).toBe('reviews-v4');
  });

  it('says what is missing from a file it cannot use', () => {
    expect(sampleApp(parseManifests('kind: ConfigMap\nmetadata: {name: x}\n'))).toBe('istio/samples/app.yaml: no Service with a name');
    expect(sampleApp(parseManifests(SAMPLE.split('---').slice(0, 2).join('---')))).toBe('istio/samples/app.yaml: no Deployment whose pods carry the label "version"');
  });

  it('clones the Deployment for another version, keeping everything but the version', () => {
    const s = sampleApp(parseManifests(SAMPLE));
    if (typeof s === 'string') throw new Error(s);
    const d = deploymentFor(s.base.deployment, 'v1', 'v3') as any;
    expect(d.metadata).toEqual({ name: 'reviews-v3', namespace: 'shop', labels: { app: 'reviews', version: 'v3' } });
    expect(d.spec.selector.matchLabels).toEqual({ app: 'reviews', version: 'v3' });
    expect(d.spec.template.metadata.labels).toEqual({ app: 'reviews', version: 'v3' });
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'VERSION', value: 'v3' }]);
    expect(d.spec.template.spec.containers[0].image).toBe('example.invalid/reviews:v1');
    expect((s.base.deployment as any).spec.selector.matchLabels.version).toBe('v1'); // template untouched
  });
});
