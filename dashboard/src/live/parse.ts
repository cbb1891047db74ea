import type { StreamMessage } from '@aiops/healer/api';

/** A stream message the dashboard cannot use; it is counted and skipped, never fatal. */
export class StreamMessageError extends Error {
  override readonly name = 'StreamMessageError';
  constructor(
    message: string,
    readonly eventType: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const STREAM_TYPES = ['assessment', 'action', 'notification'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];
export const STREAM_EVENT_TYPES: readonly StreamType[] = STREAM_TYPES;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Parses one SSE event (`event:` type and `data:` JSON) into a StreamMessage, checking the fields the
 * reducer relies on. Returns an error value instead of throwing so one bad message cannot stop the stream.
 */
export function parseStreamMessage(
  eventType: string,
  data: string,
): StreamMessage | StreamMessageError {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch (err) {
    return new StreamMessageError(`${eventType}: data is not JSON`, eventType, { cause: err });
  }
  if (!isObject(body))
    return new StreamMessageError(`${eventType}: data must be an object`, eventType);
  if (body.type !== eventType)
    return new StreamMessageError(
      `${eventType}: data.type must equal the event type (got ${JSON.stringify(body.type)})`,
      eventType,
    );
  switch (eventType) {
    case 'assessment': {
      const d = body.deployment;
      if (!isObject(d) || !isString(d.namespace) || !isString(d.name))
        return new StreamMessageError(
          'assessment: deployment.namespace and .name are required',
          eventType,
        );
      if (!isString(d.updatedAt))
        return new StreamMessageError(
          'assessment: deployment.updatedAt must be an ISO time',
          eventType,
        );
      if (!(d.risk === null || typeof d.risk === 'number'))
        return new StreamMessageError(
          'assessment: deployment.risk must be a number or null',
          eventType,
        );
      return {
        type: 'assessment',
        deployment: {
          explanation: [],
          features: {},
          trend: [],
          step: 0,
          attempts: 0,
          dryRun: false,
          ...d,
        } as unknown as Extract<StreamMessage, { type: 'assessment' }>['deployment'],
      };
    }
    case 'action': {
      const a = body.action;
      if (!isString(body.namespace) || !isString(body.name))
        return new StreamMessageError('action: namespace and name are required', eventType);
      if (!isObject(a) || !isString(a.at) || typeof a.step !== 'number' || !isString(a.action))
        return new StreamMessageError(
          'action: action.at, .step and .action are required',
          eventType,
        );
      return body as unknown as StreamMessage;
    }
    case 'notification': {
      const n = body.notification;
      if (!isString(body.namespace) || !isString(body.name) || !isObject(n) || !isString(n.at))
        return new StreamMessageError(
          'notification: namespace, name and notification.at are required',
          eventType,
        );
      return body as unknown as StreamMessage;
    }
    default:
      return new StreamMessageError(`unknown event type ${JSON.stringify(eventType)}`, eventType);
  }
}
