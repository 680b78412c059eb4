/**
 * Which cluster the adapter talks to, decided in one place for every client it makes (reviews,
 * the authentication ConfigMap, Deployments, Events): the --kubeconfig file when given, else the
 * pod's service account when running in a pod, else none — the default run needs no cluster.
 */
import { KubeConfig } from '@kubernetes/client-node';

export function clusterConfig(kubeconfigPath: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig | null {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath !== undefined && kubeconfigPath !== '') {
    kubeConfig.loadFromFile(kubeconfigPath);
    return kubeConfig;
  }
  if (!env['KUBERNETES_SERVICE_HOST']) return null;
  kubeConfig.loadFromCluster();
  return kubeConfig;
}
