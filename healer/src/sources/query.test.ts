/**
 * The querier's pure parts: which failures are retried and how a failed query is worded. The
 * HTTP path itself (retries, the read timer, error bodies, gzip) is tested against a local server
 * in prometheus.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { answerProblem, requestProblem, retryable } from './query.js';
import { VectorAnswerError } from './vectorAnswer.js';

/** An axios error with an HTTP response of `status` and `data`. */
const http = (status: number, data: unknown = ''): AxiosError =>
  new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_RESPONSE', undefined, {}, {
    status,
    statusText: '',
    headers: {},
    config: { headers: {} } as InternalAxiosRequestConfig,
    data,
  } as AxiosResponse);
/** An axios error without a response (the network, a timeout). */
const network = (code: string | undefined, message = 'socket hang up'): AxiosError =>
  new AxiosError(message, code);

describe('retryable', () => {
  it.each<[string, unknown, boolean]>([
    ['a timeout (no response)', network(AxiosError.ECONNABORTED), true],
    ['a reset connection', network('ECONNRESET'), true],
    ['500', http(500), true],
    ['503', http(503), true],
    ['boundary: 499 is the client’s', http(499), false],
    ['429 (too many requests)', http(429), true],
    ['400 (bad PromQL)', http(400), false],
    ['404', http(404), false],
    ['an unusable answer is not retried', new VectorAnswerError('not-vector', 'matrix'), false],
    ['not an error at all', 'boom', false],
    ['undefined', undefined, false],
  ])('%s → %s', (_n, err, expected) => {
    expect(retryable(err)).toBe(expected);
  });
});

describe('answerProblem', () => {
  const long = 'x'.repeat(300);
  it.each<[VectorAnswerError['kind'], string, string]>([
    ['not-json', '<html>', 'answer is not JSON: <html>'],
    ['not-json', long, `answer is not JSON: ${'x'.repeat(100)}`],
    ['not-vector', 'matrix', 'expected a vector, got matrix'],
    ['not-vector', long, `expected a vector, got ${'x'.repeat(100)}`],
    ['partial', 'store eu-1 down', 'partial response, Prometheus warned: store eu-1 down'],
    ['partial', long, `partial response, Prometheus warned: ${'x'.repeat(200)}`],
    ['malformed', '', 'answer is not a Prometheus vector: '],
    ['malformed', long, `answer is not a Prometheus vector: ${long}`],
  ])('%s %j', (kind, detail, expected) => {
    expect(answerProblem(new VectorAnswerError(kind, detail))).toBe(expected);
  });
});

describe('requestProblem', () => {
  it.each<[string, unknown, string]>([
    [
      'an HTTP error quotes its body',
      http(400, 'bad_data: parse error'),
      'HTTP 400 bad_data: parse error',
    ],
    ['an empty body', http(503), 'HTTP 503 '],
    [
      'a body of 200 characters is whole',
      http(500, 'y'.repeat(200)),
      `HTTP 500 ${'y'.repeat(200)}`,
    ],
    ['a longer one is cut at 200', http(500, 'y'.repeat(201)), `HTTP 500 ${'y'.repeat(200)}`],
    [
      'a body still an object is written as JSON',
      http(422, { error: 'x' }),
      'HTTP 422 {"error":"x"}',
    ],
    ['a timeout names its code', network(AxiosError.ECONNABORTED), 'ECONNABORTED'],
    ['no code: the message', network(undefined, 'socket hang up'), 'socket hang up'],
    ['not an axios error', new Error('boom'), 'Error: boom'],
    ['not an error', 42, '42'],
  ])('%s', (_n, err, expected) => {
    expect(requestProblem(err)).toBe(expected);
  });
});
