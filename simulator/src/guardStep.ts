/**
 * Wraps a step that runs from a timer: a throw is logged once per distinct error (`<who>: step
 * failed: …`) and the timer goes on, so a bug in one step is reported without killing the cluster.
 */
export function guardStep(step: () => void, who: string, log: (line: string) => void): () => void {
  let lastError = '';
  return () => {
    try {
      step();
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      if (text !== lastError) log(`${who}: step failed: ${text}`);
      lastError = text;
    }
  };
}
