import express from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pino } from 'pino';
import { readFileSync } from 'node:fs';
import { createApp } from './dist/src/app.js';
import { createMetrics } from './dist/src/metrics.js';
import { ModelSlot } from './dist/src/types.js';
import { Predictor } from '@aiops/model/predictor';
const [variant, port] = process.argv.slice(2);
const answer = JSON.parse(readFileSync('/tmp/answer.json', 'utf8'));
let app;
if (variant === 'full' || variant === 'fullfake') {
  const p = variant === 'full' ? await Predictor.load({ engine: 'cpu' }) : { version: 'x', threshold: 0.5, backendName: 'x', metadata: {}, predict: (rows) => rows.map(() => answer) };
  app = createApp({ model: new ModelSlot(p), metrics: createMetrics(), logger: pino({ level: 'info' }), batchLimit: 10000, bodyLimit: '8mb', corsOrigins: variant === 'full' ? ['http://localhost:8080'] : ['http://localhost:8080'] });
} else {
  app = express(); app.set('etag', false);
  if (variant.includes('h')) app.use(helmet());
  if (variant.includes('c')) app.use(cors({ origin: ['http://localhost:8080'] }));
  app.post('/predict', express.json({ limit: '8mb', strict: false }), (_req, res) => { res.json(answer); });
}
app.listen(Number(port), '127.0.0.1');
