/**
 * takeBody against a real keep-alive server through axios: after it, the response object that
 * axios' socket handlers still hold reaches neither the answer nor the request body.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, createServer, type Server } from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { takeBody } from './httpBody.js';

let server: Server;
let http: AxiosInstance;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  server = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ received: n }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  http = axios.create({ baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
});

afterAll(async () => {
  agent.destroy();
  await new Promise((r) => server.close(r));
});

describe('takeBody', () => {
  it('returns the parsed answer and leaves the response without it and the request body', async () => {
    const res = await http.post('/predict', { columns: { a: [1, 2, 3] } });
    expect(res.config.data).toBe('{"columns":{"a":[1,2,3]}}');
    expect(takeBody<{ received: number }>(res)).toEqual({ received: 25 });
    expect(res.data).toBeUndefined();
    expect(res.config.data).toBeUndefined();
  });

  it.each([
    ['a response without config', { data: 'x' }],
    ['an empty answer', { data: '', config: { data: 'body' } }],
  ])('%s', (_name, res: { data: unknown; config?: { data?: unknown } }) => {
    const body = res.data;
    expect(takeBody(res)).toBe(body);
    expect(res.data).toBeUndefined();
    expect(res.config?.data).toBeUndefined();
  });
});
