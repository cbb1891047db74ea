import { FEATURES } from '@aiops/model/schema';

export function App() {
  return (
    <main>
      <h1>aiops-autoheal</h1>
      <p>Risk dashboard. Features the model reads: {FEATURES.length}.</p>
    </main>
  );
}
