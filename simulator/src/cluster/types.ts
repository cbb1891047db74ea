/** Loose Kubernetes object shapes: the API stores plain JSON; these name the fields we read. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  resources?: {
    limits?: Record<string, string>;
    requests?: Record<string, string>;
  };
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; [key: string]: unknown };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
    paused?: boolean;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
    [key: string]: unknown;
  };
  status?: DeploymentStatus;
}

/** An Argo Rollout (`argoproj.io/v1alpha1`): a Deployment's spec plus the fields used here. */
export interface Rollout extends KubeObject {
  spec: Deployment['spec'] & {
    /** `kubectl argo rollouts restart`: pods older than this are replaced, one at a time. */
    restartAt?: string;
    strategy?: { canary?: Record<string, unknown>; blueGreen?: Record<string, unknown> };
  };
  status?: RolloutStatus;
}

export interface RolloutStatus {
  /** A string in Argo's CRD. */
  observedGeneration?: string;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentPodHash?: string;
  stableRS?: string;
  phase?: 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';
  message?: string;
  pauseConditions?: { reason: string; startTime: string }[];
  restartedAt?: string;
  selector?: string;
  conditions?: Condition[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
}

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplate };
  status?: {
    replicas: number;
    fullyLabeledReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
  };
}

export interface ContainerState {
  running?: { startedAt: string };
  waiting?: { reason: string; message?: string };
  terminated?: {
    exitCode: number;
    reason: string;
    startedAt?: string;
    finishedAt?: string;
    containerID?: string;
  };
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState;
}

export interface Pod extends KubeObject {
  spec: { containers: Container[]; nodeName?: string; [key: string]: unknown };
  status?: {
    phase: string;
    conditions?: Condition[];
    hostIP?: string;
    podIP?: string;
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    qosClass?: string;
    reason?: string;
    message?: string;
  };
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: unknown[];
  };
  status?: { currentReplicas?: number; desiredReplicas?: number; lastScaleTime?: string };
}

export interface Node extends KubeObject {
  status?: { conditions?: Condition[]; addresses?: { type: string; address: string }[] };
}

/** Metadata for an object about to be created: the store fills uid, resourceVersion and time. */
export function newMeta(m: Partial<ObjectMeta>): ObjectMeta {
  return { name: '', uid: '', resourceVersion: '', creationTimestamp: '', ...m };
}
