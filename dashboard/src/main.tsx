import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client';
import { createHumansClient } from './api/humans';
import { App, type AppDeps } from './App';
import './styles.css';

// Wiring only: the real fetch, EventSource, clock and timers. Everything else takes them as deps.
const deps: AppDeps = {
  api: createApiClient(),
  humans: createHumansClient(),
  openStream: (url) => new EventSource(url),
  clock: () => Date.now(),
  schedule: (fn, ms) => {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
  tickMs: 5_000,
};

const root = document.getElementById('root');
if (!root) throw new Error('no #root element in index.html');
createRoot(root).render(
  <StrictMode>
    <App deps={deps} />
  </StrictMode>,
);
