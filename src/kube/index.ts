/** Kubernetes clients: which cluster (cluster.ts), Deployments, reviews, Events, the authentication ConfigMap, the self-made serving certificate and the APIService it keeps. */
export { watchAuthenticationConfigMap } from './auth-config.js';
export { clusterConfig } from './cluster.js';
export { deploymentsApi, listDeployments, readDeployment, type DeploymentsApi } from './deployments.js';
export { createDeploymentEvent, eventsApi, type EventsApi } from './events.js';
export { KubeAccessReviewer, KubeTokenReviewer } from './reviews.js';
export {
  ensureClientSecret,
  ensureServingSecret,
  KEDA_CLIENT_NAME,
  parseObjectRef,
  reconcileApiService,
  serviceHostnames,
  startServingCertificateKeeper,
  type ApiServicesApi,
  type ApiServiceState,
  type ObjectRef,
  type SecretsApi,
  type ServingCertificateKeeper,
} from './serving-certificate.js';
