import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadServeConfig } from '../../../src/config/load.js';
import { parseServeConfig, servicePolicy } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/core/validate.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../../data/default-config.yaml', import.meta.url));

function app(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'shop', namespace: 'shop', services: ['web'], source: { kind: 'replay', path: 'rec' }, ...extra };
}

function parseOne(extra: Record<string, unknown>): ReturnType<typeof parseServeConfig>['applications'][number] {
  return parseServeConfig({ applications: [app(extra)] }, '/base').applications[0]!;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('serve configuration', () => {
  it('the shipped default configuration loads, with paths resolved next to it', () => {
    const config = loadServeConfig(DEFAULT_CONFIG);
    const boutique = config.applications[0]!;
    expect(boutique.services).to.have.length(10);
    expect(boutique.source).to.include({ kind: 'replay' });
    expect(boutique.source.kind === 'replay' && boutique.source.path).to.match(/data\/boutique-30s$/);
    expect(boutique.model).to.match(/models\/online-boutique$/);
  });

  it('fills defaults: fallback last-value with a max age of four steps, utilization 0.7, Holt baseline', () => {
    const parsed = parseOne({ stepSeconds: 15 });
    expect(parsed.fallback).to.deep.equal({ policy: 'last-value', maxAgeSeconds: 60 });
    expect(parsed.capacity.targetUtilization).to.equal(0.7);
    expect(parsed.baseline).to.equal('holt');
    expect(parsed.source.kind === 'replay' && parsed.source.path).to.equal('/base/rec');
  });

  it('names the field of a bad value', () => {
    expect(errorOf(() => parseOne({ fallback: { policy: 'zero' } }))).to.match(/^config\.applications\[0\]\.fallback\.policy: expected one of/);
    expect(errorOf(() => parseOne({ capacity: { targetUtilization: 2 } }))).to.contain('applications[0].capacity.targetUtilization: must be at most 1');
    expect(errorOf(() => parseOne({ serviceOverrides: { web: { maxReplicas: 0 } } }))).to.contain('serviceOverrides.web.maxReplicas');
  });

  it('risk per application (default 0.05) with a per-service override, and the scale-in mode', () => {
    const parsed = parseOne({ risk: 0.1, scaleIn: 'reactive', serviceOverrides: { web: { risk: 0.01, scaleIn: 'never' } } });
    expect(servicePolicy(parsed, 'web')).to.deep.equal({ risk: 0.01, scaleIn: 'never' });
    expect(servicePolicy(parsed, 'other')).to.deep.equal({ risk: 0.1, scaleIn: 'reactive' });
    const defaults = parseOne({});
    expect(defaults).to.include({ risk: 0.05, scaleIn: 'forecast' });
    expect(defaults.calibration).to.include({ window: 240, adaptSteps: 240 });
    expect(defaults.lookAhead.scaleDownWindowSeconds).to.equal(300);
  });

  it('an old configuration with margin fails with a clear error naming risk', () => {
    const message = errorOf(() => parseOne({ margin: { default: 0.1, max: 0.5, window: 40 } }));
    expect(message).to.match(/^config\.applications\[0\]\.margin: replaced by risk \(the accepted probability/);
    expect(message).to.contain('Remove margin and set risk');
  });

  it('names every bad field at once, not only the first', () => {
    const message = errorOf(() =>
      parseOne({
        margin: { default: 0.1 },
        risk: 0.9,
        scaleIn: 'sometimes',
        capacity: { targetUtilization: 2 },
        serviceOverrides: { web: { risk: 0, scaleIn: 'x' } },
        tpyo: 1,
      }),
    );
    for (const field of [
      '.margin:',
      '.risk:',
      '.scaleIn:',
      '.capacity.targetUtilization:',
      'serviceOverrides.web.risk:',
      'serviceOverrides.web.scaleIn:',
      '.tpyo: unknown field',
    ]) {
      expect(message, field).to.contain(field);
    }
    expect(message).to.match(/^7 problems:/);
    // Across applications too.
    const two = errorOf(() => parseServeConfig({ applications: [app({ risk: 2 }), app({ name: 'b', namespace: 'b', scaleIn: 'x' })] }, '/'));
    expect(two).to.contain('applications[0].risk').and.to.contain('applications[1].scaleIn');
  });

  it('a Prometheus source takes namespace, services and step from the application and checks the rest', () => {
    const parsed = parseOne({ source: { kind: 'prometheus', url: 'http://prometheus:9090', rateWindow: '1m' } });
    expect(parsed.source).to.include({ kind: 'prometheus', warmupSteps: 600 });
    expect(errorOf(() => parseOne({ source: { kind: 'prometheus', url: 'prometheus:9090' } }))).to.contain('config.applications[0].source.url');
    expect(errorOf(() => parseOne({ source: { kind: 'prometheus', url: 'http://p:9090', namespace: 'x' } }))).to.contain(
      'source.namespace: set by the application',
    );
  });

  it('a simulator source defaults to being scaled by the adapter and checks its fields', () => {
    const parsed = parseOne({ source: { kind: 'simulator', trace: 'traces/t.csv' } });
    expect(parsed.source).to.deep.include({ kind: 'simulator', trace: '/base/traces/t.csv', scaledBy: 'adapter', peakRequestsPerSecond: 100 });
    expect(errorOf(() => parseOne({ source: { kind: 'simulator', trace: 't.csv', scaledBy: 'keda' } }))).to.contain('source.scaledBy');
  });

  it('checks each per-service override: its service name and its replica range against the application', () => {
    const message = errorOf(() => parseOne({ minReplicas: 5, serviceOverrides: { Web_1: {}, web: { maxReplicas: 3 } } }));
    expect(message).to.contain('config.applications[0].serviceOverrides.Web_1: "Web_1" is not valid');
    const range = errorOf(() => parseOne({ minReplicas: 5, serviceOverrides: { web: { maxReplicas: 3 } } }));
    expect(range).to.equal('config.applications[0].serviceOverrides.web.maxReplicas: must be at least minReplicas (5), got 3');
  });

  it('rejects unknown fields, so a typo fails at start-up', () => {
    expect(errorOf(() => parseOne({ lookahead: {} }))).to.contain('applications[0].lookahead: unknown field');
  });

  it('needs exactly one of services or selector', () => {
    expect(errorOf(() => parseOne({ services: undefined }))).to.contain('set exactly one of services');
    expect(errorOf(() => parseOne({ selector: 'tier=web' }))).to.contain('set exactly one of services');
  });

  it('refuses a service served twice in one namespace (the HPA would sum both values)', () => {
    const message = errorOf(() => parseServeConfig({ applications: [app(), app({ name: 'shop2' })] }, '/base'));
    expect(message).to.contain('"web" in namespace "shop" is already served by application "shop"');
  });

  it('flags and environment override the file and are validated like it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-config-'));
    const path = join(dir, 'c.yaml');
    writeFileSync(path, 'applications:\n  - name: shop\n    namespace: shop\n    services: [web]\n    source: {kind: replay, path: rec}\n');
    const parsed = loadServeConfig(path, { stepIntervalSeconds: 0.5, fallbackPolicy: 'unavailable', maxAgeSeconds: 9, model: '/m' }).applications[0]!;
    expect(parsed.source.kind === 'replay' && parsed.source.stepIntervalSeconds).to.equal(0.5);
    expect(parsed.fallback).to.deep.equal({ policy: 'unavailable', maxAgeSeconds: 9 });
    expect(parsed.model).to.equal('/m');
    expect(errorOf(() => loadServeConfig(path, { fallbackPolicy: 'never' }))).to.contain('fallback.policy');
  });

  it('names the file when it is missing or not YAML', () => {
    expect(errorOf(() => loadServeConfig('/nonexistent/deepscaler.yaml'))).to.contain('/nonexistent/deepscaler.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'ds-config-'));
    writeFileSync(join(dir, 'bad.yaml'), 'applications: [\n');
    expect(errorOf(() => loadServeConfig(join(dir, 'bad.yaml')))).to.contain('not valid YAML');
  });
});
