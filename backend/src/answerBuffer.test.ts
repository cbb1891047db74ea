import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { AnswerBuffer } from './answerBuffer.js';

/** A response as AnswerBuffer sees it: 'finish' once its answer was handed to the socket. */
const response = (): EventEmitter => new EventEmitter();

describe('AnswerBuffer', () => {
  it('gives an answer’s whole buffer back only once its response finished', () => {
    const buffers = new AnswerBuffer(1024);
    expect(buffers.take()).toBeUndefined();
    const memory = Buffer.allocUnsafe(16384);
    const answer = memory.subarray(0, 12000);
    const res = response();
    buffers.keepWhenSent(res, answer);
    // Still being sent: not to be written into.
    expect(buffers.take()).toBeUndefined();
    res.emit('finish');
    const spare = buffers.take()!;
    expect(spare.buffer).toBe(memory.buffer);
    expect(spare.length).toBe(16384);
    // One writer at a time: taken, it is no longer spare.
    expect(buffers.take()).toBeUndefined();
  });

  it('keeps nothing of a response that closed before finishing, or of a small answer', () => {
    const buffers = new AnswerBuffer(1024);
    const closed = response();
    buffers.keepWhenSent(closed, Buffer.allocUnsafe(16384));
    closed.emit('close');
    expect(buffers.take()).toBeUndefined();
    // A small Buffer may sit in Node's shared pool with others: never written into again.
    const small = response();
    buffers.keepWhenSent(small, Buffer.from('{"risk":0.1}'));
    small.emit('finish');
    expect(buffers.take()).toBeUndefined();
  });

  it('gives the spare back after a small answer was written into it', () => {
    const buffers = new AnswerBuffer(1024);
    const spare = Buffer.allocUnsafe(16384);
    const res = response();
    buffers.keepWhenSent(res, spare.subarray(0, 20));
    res.emit('finish');
    expect(buffers.take()!.buffer).toBe(spare.buffer);
  });

  it('while one answer is being sent, the next is written elsewhere; the later one is kept', () => {
    const buffers = new AnswerBuffer(1024);
    const [a, b] = [Buffer.allocUnsafe(16384), Buffer.allocUnsafe(16384)];
    const [resA, resB] = [response(), response()];
    buffers.keepWhenSent(resA, a);
    expect(buffers.take()).toBeUndefined(); // b's writer makes its own
    buffers.keepWhenSent(resB, b);
    resA.emit('finish');
    resB.emit('finish');
    expect(buffers.take()!.buffer).toBe(b.buffer);
  });
});
