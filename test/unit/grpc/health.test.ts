import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { HealthCheckResponse, HealthListResponse } from '../../../src/grpc/messages.js';
import { appSnapshot, rejection, startHarness, stream, unary, type Harness } from './support.js';

describe('gRPC health service (grpc.health.v1)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const check = (service: string): Promise<HealthCheckResponse> => unary(h.clients.health, 'Check', { service });

  it('is NOT_SERVING until the first snapshot is published, then SERVING for the server and each service', async () => {
    expect(await check('')).to.deep.equal({ status: 'NOT_SERVING' });
    h.store.publishApp(appSnapshot());
    for (const service of ['', 'externalscaler.ExternalScaler', 'deepscaler.predictor.v1.Predictor']) {
      expect(await check(service), service).to.deep.equal({ status: 'SERVING' });
    }
  });

  it('Check answers NOT_FOUND for a service it does not serve', async () => {
    const err = await rejection(check('some.Other'));
    expect(err.code).to.equal(grpc.status.NOT_FOUND);
    expect(err.details).to.match(/no service "some.Other" here; health is reported for: "", "externalscaler.ExternalScaler"/);
  });

  it('List reports every served service', async () => {
    h.store.publishApp(appSnapshot());
    const list = await unary<HealthListResponse>(h.clients.health, 'List', {});
    expect(list.statuses).to.deep.equal({
      '': { status: 'SERVING' },
      'externalscaler.ExternalScaler': { status: 'SERVING' },
      'deepscaler.predictor.v1.Predictor': { status: 'SERVING' },
    });
  });

  it('Watch sends the status at once and again when it changes', async () => {
    const s = stream<HealthCheckResponse>(h.clients.health, 'Watch', { service: '' });
    expect(await s.next(0)).to.deep.equal({ status: 'NOT_SERVING' });
    h.store.publishApp(appSnapshot());
    expect(await s.next(1)).to.deep.equal({ status: 'SERVING' });
    s.call.cancel();
  });

  it('Watch of an unknown service reports SERVICE_UNKNOWN and stays open', async () => {
    const s = stream<HealthCheckResponse>(h.clients.health, 'Watch', { service: 'some.Other' });
    expect(await s.next(0)).to.deep.equal({ status: 'SERVICE_UNKNOWN' });
    expect(h.store.listenerCount).to.equal(1);
    s.call.cancel();
  });
});
