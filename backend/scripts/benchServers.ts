/**
 * The two reference servers of the benchmark, started as their own processes:
 * - `bare`: node:http that reads the body, JSON.parses it and answers a constant (the ceiling);
 * - `floor`: Express with the same express.json() options answering the same constant (Express's
 *   own per-request cost).
 * Both answer the same bytes as a real single prediction, so response size is not a difference.
 * Usage: node benchServers.js <bare|floor> <port> <answer-json-file>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, portArg, answerFile] = process.argv.slice(2);
const port = Number(portArg);
const answer = JSON.parse(readFileSync(answerFile!, 'utf8')) as object;

// Exit normally on SIGTERM so `node --cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));

if (kind === 'bare') {
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = JSON.stringify(answer);
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  }).listen(port, '127.0.0.1', () => console.log('ready'));
} else if (kind === 'floor') {
  const app = express();
  // Same as the backend: no ETag hashing, so the floor is not slowed by work the product skips.
  app.set('etag', false);
  app.post('/predict', express.json({ limit: '32mb', strict: false }), (_req, res) => {
    res.json(answer);
  });
  app.listen(port, '127.0.0.1', () => console.log('ready'));
} else {
  console.error(`unknown server kind ${String(kind)}; expected bare or floor`);
  process.exit(2);
}
