/**
 * The Kubernetes clients the actions use, and small helpers shared by them. Every call goes
 * through `@kubernetes/client-node`, as kubectl's would go through the API server.
 */
import {
  ApiException,
  KubeConfig,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  Watch,
  HttpInfo,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderOptions,
  type ResponseContext,
  type V1DeploymentList,
} from '@kubernetes/client-node';
// Not re-exported by the package root; the class the generated AppsV1Api takes as its third argument.
import { AppsV1ApiResponseProcessor } from '@kubernetes/client-node/dist/gen/apis/AppsV1Api.js';
import { LostLeadershipError } from '../leader/errors.js';

export interface KubeClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  /** Argo Rollouts (`kinds/rollout.ts`) and HealPolicies (`src/policy/policySource.ts`). */
  custom: CustomObjectsApi;
  exec: Exec;
  /** Watches for the target informers (`kube.watchTargets`); absent in fakes that list only. */
  watch?: Watch;
}

/**
 * Loads a kubeconfig: the file at `path`, else the default chain (KUBECONFIG, ~/.kube/config,
 * in-cluster service account). client-node refuses plain-HTTP servers unless
 * `insecure-skip-tls-verify` is set; with no TLS there is nothing to verify, so for `http://`
 * servers (the simulator, `kubectl proxy`) it is set here.
 */
export function loadKubeConfig(path?: string, opts: { timeoutMs?: number } = {}): KubeConfig {
  let kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (kc.clusters.some((c) => c.server.startsWith('http://') && !c.skipTLSVerify)) {
    const fixed = new KubeConfig();
    fixed.loadFromOptions({
      clusters: kc.clusters.map((c) =>
        c.server.startsWith('http://') ? { ...c, skipTLSVerify: true } : c,
      ),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    kc = fixed;
  }
  return opts.timeoutMs ? withRequestTimeout(kc, opts.timeoutMs) : kc;
}

/**
 * client-node has no request timeout: an AbortSignal per request gives it one, so a hung API
 * server becomes an error (retried, then reported) instead of a hung cycle.
 */
export function withRequestTimeout(kc: KubeConfig, ms: number): KubeConfig {
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx) => {
    await apply(ctx);
    ctx.setSignal(AbortSignal.timeout(ms));
  };
  return kc;
}

/**
 * Deployment lists parsed as plain JSON. client-node's typed deserialisation walks every field of
 * every object through its ObjectSerializer (≈ 2 CPU-s and most of the list's memory per cycle at
 * 10,000 deployments, see healer/docs-safety.md "Benchmark"); the objects keep the API's JSON
 * field names, which are the typed ones, but timestamps stay RFC 3339 strings (nothing in the
 * healer reads a listed deployment's timestamp as a Date, and listed objects are never written
 * back). Errors (non-2xx) go through client-node as before, so they stay `ApiException`s.
 */
class PlainDeploymentLists extends AppsV1ApiResponseProcessor {
  override listDeploymentForAllNamespacesWithHttpInfo(
    response: ResponseContext,
  ): Promise<HttpInfo<V1DeploymentList>> {
    return plainList(response, () => super.listDeploymentForAllNamespacesWithHttpInfo(response));
  }

  override listNamespacedDeploymentWithHttpInfo(
    response: ResponseContext,
  ): Promise<HttpInfo<V1DeploymentList>> {
    return plainList(response, () => super.listNamespacedDeploymentWithHttpInfo(response));
  }
}

async function plainList(
  response: ResponseContext,
  typed: () => Promise<HttpInfo<V1DeploymentList>>,
): Promise<HttpInfo<V1DeploymentList>> {
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) return typed();
  const body = JSON.parse(await response.body.text()) as V1DeploymentList;
  return new HttpInfo(response.httpStatusCode, response.headers, response.body, body);
}

/** AppsV1Api as `makeApiClient` builds it, with deployment lists parsed as plain JSON. */
function appsClient(kc: KubeConfig): AppsV1Api {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
  });
  return new AppsV1Api(config, undefined, new PlainDeploymentLists());
}

export function createKubeClients(kc: KubeConfig): KubeClients {
  return {
    apps: appsClient(kc),
    core: kc.makeApiClient(CoreV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    exec: new Exec(kc),
    watch: new Watch(kc),
  };
}

/** Request options for an RFC 7386 JSON merge patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of a client-node API error, if it is one. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

/**
 * Worth retrying: conflicts are handled separately; 5xx, 429 and transport errors are. Lost
 * leadership never is: it must stop the write.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof LostLeadershipError) return false;
  const s = statusOf(err);
  return s === undefined || s >= 500 || s === 429;
}

/** A cluster action that could not be carried out; `reason` is for people, `cause` the API error. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    readonly action: string,
    readonly target: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${action} ${target}: ${message}`, options);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as { message?: string } | string | undefined;
    const msg = typeof body === 'object' && body?.message ? body.message : String(body ?? '');
    return `HTTP ${err.code}${msg ? `: ${msg.slice(0, 200)}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** `app=web,tier=api` from a label map (a deployment's `matchLabels`). */
export function selectorString(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * Why nobody but a human may change this deployment now, or undefined: paused (`kubectl rollout
 * pause`: a human is working on it) or being deleted.
 */
export function holdReason(dep: {
  spec?: { paused?: boolean };
  metadata?: { deletionTimestamp?: Date | string | null };
}): string | undefined {
  if (dep.spec?.paused) return 'deployment is paused (spec.paused=true: a human is working on it)';
  if (dep.metadata?.deletionTimestamp)
    return 'deployment is being deleted (metadata.deletionTimestamp is set)';
  return undefined;
}

/** Lost leadership: the caller must stop, never turn it into a failed action. */
export function isLostLeadership(err: unknown): err is LostLeadershipError {
  return err instanceof LostLeadershipError;
}
