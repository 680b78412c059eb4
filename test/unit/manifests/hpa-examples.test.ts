import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { HorizontalPodAutoscaler, type HpaBehavior, type HpaSpec } from '../../../src/sim/hpa.js';
import { SERVED_METRICS } from '../../../src/serving/snapshot-provider.js';

const EXAMPLES = fileURLToPath(new URL('../../../../manifests/examples/', import.meta.url));

interface Hpa {
  apiVersion: string;
  kind: string;
  spec: {
    scaleTargetRef: { name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: {
      type: string;
      external?: { metric: { name: string; selector: { matchLabels: Record<string, string> } }; target: { type: string; averageValue: string } };
      resource?: { name: string; target: { type: string; averageUtilization: number } };
    }[];
    behavior: HpaBehavior;
  };
}

function examples(): { file: string; hpa: Hpa }[] {
  return readdirSync(EXAMPLES)
    .filter((f) => /^hpa-.*\.yaml$/.test(f))
    .flatMap((file) => parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8')).map((doc) => ({ file, hpa: doc.toJS() as Hpa })));
}

/** Syncs every 15 s for `seconds` with the External metric at `served` (AverageValue 1); returns the final count. */
function drive(hpa: HorizontalPodAutoscaler, start: number, current: number, served: number, seconds: number): number {
  let replicas = current;
  for (let t = start; t < start + seconds; t += 15) {
    replicas = hpa.reconcile({
      now: t,
      currentReplicas: replicas,
      metrics: [{ type: 'External', target: 'AverageValue', usage: served, averageValue: 1 }],
    }).desiredReplicas;
  }
  return replicas;
}

describe('HPA examples (manifests/examples/hpa-*.yaml)', () => {
  const all = examples();

  it('ship one HPA per Online Boutique service', () => {
    expect(new Set(all.map((e) => e.hpa.spec.scaleTargetRef.name)).size).to.equal(10);
  });

  it('each scales on the served desired replicas of its own service with AverageValue "1", and has a CPU floor', () => {
    for (const { file, hpa } of all) {
      const where = `${file}: ${hpa.spec.scaleTargetRef.name}`;
      expect(hpa.apiVersion, where).to.equal('autoscaling/v2');
      const external = hpa.spec.metrics.find((m) => m.type === 'External')?.external;
      expect(external?.metric.name, where).to.be.oneOf(SERVED_METRICS);
      expect(external?.metric.selector.matchLabels, where).to.deep.equal({ service: hpa.spec.scaleTargetRef.name });
      expect(external?.target, where).to.deep.equal({ type: 'AverageValue', averageValue: '1' });
      expect(hpa.spec.metrics.find((m) => m.type === 'Resource')?.resource?.name, where).to.equal('cpu');
    }
  });

  it('the HPA controller lands on the served count, and follows a predicted trough within about a minute', () => {
    for (const { hpa } of all) {
      const spec: HpaSpec = { minReplicas: hpa.spec.minReplicas, maxReplicas: hpa.spec.maxReplicas, behavior: hpa.spec.behavior };
      const controller = new HorizontalPodAutoscaler(spec);
      expect(drive(controller, 0, 3, 6, 15)).to.equal(6);
      // The forecast drops to 2: the example behavior gets there within 60 s + two 30 s halvings.
      expect(drive(controller, 15, 6, 2, 150)).to.equal(2);
    }
  });

  it('without that behavior the default 300 s hold would still sit at the old peak', () => {
    const { hpa } = all[0]!;
    const controller = new HorizontalPodAutoscaler({ minReplicas: hpa.spec.minReplicas, maxReplicas: hpa.spec.maxReplicas });
    drive(controller, 0, 3, 6, 15);
    expect(drive(controller, 15, 6, 2, 150)).to.equal(6);
  });
});
