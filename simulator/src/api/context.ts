import type { Simulation } from '../simulator.js';

/** What the HTTP routes need from the running simulator. */
export interface ApiContext {
  sim: Simulation;
  /** `host:port` for discovery's serverAddressByClientCIDRs. */
  serverAddress: string;
  /** The Prometheus exposition of the current state. */
  metrics(): string;
  /** Waits until the cluster writes a fault made have landed (the node agent's apiserver patches). */
  settle?(): Promise<void>;
}
