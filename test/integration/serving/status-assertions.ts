import { expect } from 'chai';
import type { TestResponse } from '../../support/https-client.js';

/** The response is a well-formed Kubernetes Status with this code and reason. */
export function expectStatus(res: TestResponse, code: number, reason: string, message?: RegExp): Record<string, unknown> {
  expect(res.status, res.text).to.equal(code);
  expect(res.headers['content-type']).to.equal('application/json');
  const body = res.json();
  expect(Object.keys(body).sort()).to.deep.equal(['apiVersion', 'code', 'kind', 'message', 'metadata', 'reason', 'status']);
  expect(body).to.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  expect(body['metadata']).to.deep.equal({});
  expect(body['message']).to.be.a('string').that.is.not.empty;
  if (message) expect(body['message']).to.match(message);
  return body;
}
