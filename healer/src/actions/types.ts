/**
 * What a cluster action reports back. Actions never throw for an expected refusal (paused
 * deployment, no previous revision, no ready pods): they say why in `detail`.
 */
export type ActionStatus =
  /** The cluster changed. */
  | 'done'
  /** Nothing to do (paused, already at max replicas, already done by another healer). */
  | 'skipped'
  /** Not possible (no previous revision, no ready pods): the policy escalates. */
  | 'refused'
  /** An API call failed after its retries. */
  | 'failed';

export interface ActionResult {
  status: ActionStatus;
  /** For people: what changed or why not, with the values. */
  detail: string;
  /** Skipped because the deployment's heal state already records this attempt (another healer). */
  alreadyTaken?: boolean;
}
