import type { KubeObject } from './types.js';

/**
 * Both Event APIs view one stored object (kept in core/v1 form), as in the real apiserver: these
 * convert to and from the `events.k8s.io/v1` shape.
 */
export function coreToEventsV1(e: KubeObject): KubeObject {
  const {
    apiVersion: _a,
    kind: _k,
    metadata,
    involvedObject,
    message,
    source,
    firstTimestamp,
    lastTimestamp,
    count,
    reportingComponent,
    reportingInstance,
    ...rest
  } = e;
  const src = (source ?? {}) as { component?: string; host?: string };
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata,
    ...rest,
    regarding: involvedObject,
    note: message,
    reportingController: reportingComponent ?? src.component,
    reportingInstance: reportingInstance ?? src.host,
    deprecatedSource: source,
    deprecatedFirstTimestamp: firstTimestamp,
    deprecatedLastTimestamp: lastTimestamp,
    deprecatedCount: count,
  };
}

export function eventsV1ToCore(e: KubeObject): KubeObject {
  const {
    apiVersion: _a,
    kind: _k,
    metadata,
    regarding,
    note,
    reportingController,
    reportingInstance,
    deprecatedSource,
    deprecatedFirstTimestamp,
    deprecatedLastTimestamp,
    deprecatedCount,
    ...rest
  } = e;
  const time = (rest.eventTime as string | undefined) ?? undefined;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata,
    ...rest,
    involvedObject: regarding ?? {},
    message: note,
    reportingComponent: reportingController,
    reportingInstance,
    source: deprecatedSource ?? { component: reportingController, host: reportingInstance },
    firstTimestamp: deprecatedFirstTimestamp ?? time,
    lastTimestamp: deprecatedLastTimestamp ?? time,
    count: deprecatedCount ?? 1,
  };
}
