import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../../src/serving/index.js';
import { ExampleMetricsProvider } from '../../../src/serving/example-provider.js';
import { parseLabelSelector } from '../../../src/serving/selector.js';
import { tempDir } from '../../support/pki.js';

function fileWith(content: unknown): string {
  const path = join(tempDir(), 'metrics.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('example metrics provider', () => {
  it('lists the shipped example metrics, sorted', () => {
    expect(ExampleMetricsProvider.fromFile().listMetrics()).to.deep.equal(['deepscaler_desired_replicas', 'deepscaler_predicted_cpu_cores']);
  });

  it('serves matching values stamped with the read time', () => {
    const provider = ExampleMetricsProvider.fromFile(undefined, () => 1_700_000_000_000);
    const values = provider.getValues('online-boutique', 'deepscaler_desired_replicas', parseLabelSelector('service=frontend'));
    expect(values).to.deep.equal([
      { metricName: 'deepscaler_desired_replicas', metricLabels: { service: 'frontend' }, timestamp: 1_700_000_000_000, milliValue: 3000, windowSeconds: 60 },
    ]);
  });

  it('throws a 404 ApiError naming the available metrics for an unknown one', () => {
    const provider = ExampleMetricsProvider.fromFile();
    expect(() => provider.getValues('online-boutique', 'nope', () => true))
      .to.throw(ApiError, 'external metric "nope" is not served; available: deepscaler_desired_replicas, deepscaler_predicted_cpu_cores')
      .with.property('code', 404);
  });

  it('rejects a broken file with an error naming the file and the field', () => {
    expect(() => ExampleMetricsProvider.fromFile(fileWith('{'))).to.throw(/cannot read example metrics .*metrics.json/);
    expect(() => ExampleMetricsProvider.fromFile(fileWith({ values: [] }))).to.throw(/values must not be empty/);
    expect(() => ExampleMetricsProvider.fromFile(fileWith({ values: [{ namespace: 'ns', metric: 'm', milliValue: 1.5 }] }))).to.throw(
      /values\[0\]\.milliValue: expected a whole number/,
    );
    expect(() => ExampleMetricsProvider.fromFile(fileWith({ values: [{ namespace: 'ns', metric: 'm', milliValue: 1, extra: 1 }] }))).to.throw(
      /values\[0\]\.extra: unknown field/,
    );
    expect(() => ExampleMetricsProvider.fromFile(fileWith({ values: [{ namespace: 'ns', metric: 'm', milliValue: 1, labels: { a: 3 } }] }))).to.throw(
      /values\[0\]\.labels\.a: expected a string, got 3/,
    );
  });
});
