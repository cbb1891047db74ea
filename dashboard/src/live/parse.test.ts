import { describe, expect, it } from 'vitest';
import { parseStreamMessage, StreamMessageError } from './parse';
import { action, status } from '../testing/fixtures';

describe('parseStreamMessage', () => {
  it('accepts a full assessment', () => {
    const d = status();
    expect(
      parseStreamMessage('assessment', JSON.stringify({ type: 'assessment', deployment: d })),
    ).toEqual({
      type: 'assessment',
      deployment: d,
    });
  });

  it('fills list fields a minimal assessment leaves out', () => {
    const m = parseStreamMessage(
      'assessment',
      JSON.stringify({
        type: 'assessment',
        deployment: {
          namespace: 'a',
          name: 'b',
          risk: null,
          level: null,
          state: 'inconclusive',
          updatedAt: 't',
        },
      }),
    );
    expect(m).not.toBeInstanceOf(Error);
    if (!(m instanceof Error) && m.type === 'assessment') expect(m.deployment.trend).toEqual([]);
  });

  it('accepts an action and a notification', () => {
    const a = { type: 'action', namespace: 'prod', name: 'checkout', action: action() };
    expect(parseStreamMessage('action', JSON.stringify(a))).toEqual(a);
    const n = {
      type: 'notification',
      namespace: 'prod',
      name: 'checkout',
      notification: { at: 't', kind: 'slack', text: 'x', delivered: false },
    };
    expect(parseStreamMessage('notification', JSON.stringify(n))).toEqual(n);
  });

  it.each([
    ['assessment', 'not json', 'data is not JSON'],
    ['assessment', '[]', 'data must be an object'],
    ['assessment', 'null', 'data must be an object'],
    [
      'assessment',
      JSON.stringify({ type: 'action' }),
      'data.type must equal the event type (got "action")',
    ],
    [
      'assessment',
      JSON.stringify({ type: 'assessment' }),
      'deployment.namespace and .name are required',
    ],
    [
      'assessment',
      JSON.stringify({ type: 'assessment', deployment: { namespace: 'a', name: 'b', risk: 0.1 } }),
      'deployment.updatedAt must be an ISO time',
    ],
    [
      'assessment',
      JSON.stringify({
        type: 'assessment',
        deployment: { namespace: 'a', name: 'b', risk: '0.1', updatedAt: 't' },
      }),
      'deployment.risk must be a number or null',
    ],
    [
      'action',
      JSON.stringify({ type: 'action', namespace: 'a', name: 'b', action: { at: 't' } }),
      'action.at, .step and .action are required',
    ],
    [
      'action',
      JSON.stringify({ type: 'action', action: action() }),
      'namespace and name are required',
    ],
    [
      'notification',
      JSON.stringify({ type: 'notification', namespace: 'a', name: 'b' }),
      'notification.at are required',
    ],
    ['gossip', JSON.stringify({ type: 'gossip' }), 'unknown event type "gossip"'],
  ])('%s %s → error naming the rule', (type, data, text) => {
    const m = parseStreamMessage(type, data);
    expect(m).toBeInstanceOf(StreamMessageError);
    expect((m as Error).message).toContain(text);
  });
});
