/** Kubernetes clients: which cluster (cluster.ts), Deployments, reviews, Events, the authentication ConfigMap. */
export { watchAuthenticationConfigMap } from './auth-config.js';
export { clusterConfig } from './cluster.js';
export { deploymentsApi, listDeployments, readDeployment, type DeploymentsApi } from './deployments.js';
export { createDeploymentEvent, eventsApi, type EventsApi } from './events.js';
export { KubeAccessReviewer, KubeTokenReviewer } from './reviews.js';
