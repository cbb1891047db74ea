import { FEATURE_NAMES, LABEL_HORIZON_MINUTES, type FeatureName } from '../schema.js';
import type { Rng } from '../rng.js';
import { FAULT, SERVICE, draw, type ScenarioName, type Variant } from './scenarios.js';

/** Seconds between two samples, like a healer cycle or a Prometheus range-query step. */
export const STEP_SECONDS = 30;
const DT_MIN = STEP_SECONDS / 60;
const STEPS_PER_5M = 300 / STEP_SECONDS;
/** Steps simulated before recording so that windowed features (restarts in 5 m) are filled. */
const PREROLL_STEPS = 12;
export const RECORD_MINUTES = 40;
const RECORD_STEPS = (RECORD_MINUTES * 60) / STEP_SECONDS;
const HORIZON_STEPS = (LABEL_HORIZON_MINUTES * 60) / STEP_SECONDS;

/**
 * The service level objective whose breach the model predicts. A deployment breaches it while
 * 5 % or more of its requests fail, or its p95 latency is 1 s or more, or fewer than half of its
 * desired pods are ready.
 */
export const SLO = { maxErrorRate: 0.05, maxP95LatencySeconds: 1, minReadyRatio: 0.5 } as const;

/** One labelled feature vector. */
export interface Sample {
  /** Raw feature values in model input order. */
  features: number[];
  /** The SLO is breached at this sample. */
  breach: boolean;
  /** 1 when the SLO is breached now or within LABEL_HORIZON_MINUTES. */
  label: 0 | 1;
  /** Minutes since the start of the recording. */
  minute: number;
  /**
   * False for a positive before its fault has begun: the system is still healthy by construction,
   * and only the horizon reaches into a breach that nothing in the features can announce yet.
   * Such rows are left out of training and of the headline evaluation (see README).
   */
  forecastable: boolean;
}

/** One simulated deployment history. */
export interface Run {
  scenario: ScenarioName;
  variant: Variant;
  /** When the fault (or, for deploy_in_progress, the rollout) begins; null when nothing happens. */
  faultMinute: number | null;
  /** First sample in breach of the SLO, null when it never breaches. */
  firstBreachMinute: number | null;
  samples: Sample[];
}

interface Pod {
  ready: boolean;
  /** Pod exists (false while lost with its node and not yet rescheduled). */
  exists: boolean;
  /** Steps until a starting pod becomes ready. */
  startupLeft: number;
  memRatio: number;
  baseMem: number;
  leakPerMin: number;
  /** Runs the new release (bad_release). */
  isNew: boolean;
  crashing: boolean;
  /** Seconds since the recording start at which a crashing pod next crashes. */
  nextCrashAt: number;
  backoffSeconds: number;
  rescheduleAtStep: number;
}

type TrafficClass = 'idle' | 'moderate' | 'busy';

const TRAFFIC_CLASSES: Record<ScenarioName, readonly TrafficClass[]> = {
  healthy_idle: ['idle', 'idle', 'idle', 'moderate', 'moderate'],
  healthy_busy: ['busy'],
  deploy_in_progress: ['idle', 'moderate', 'moderate', 'busy'],
  traffic_spike: ['moderate', 'busy', 'busy'],
  crash_loop: ['idle', 'idle', 'moderate', 'busy'],
  memory_leak: ['idle', 'moderate', 'moderate', 'busy'],
  cpu_starvation: ['moderate', 'busy', 'busy'],
  error_burst: ['idle', 'moderate', 'busy'],
  latency_regression: ['idle', 'moderate', 'busy'],
  bad_release: ['idle', 'moderate', 'busy'],
  poisoned_cache: ['idle', 'moderate', 'busy'],
  node_loss: ['idle', 'moderate', 'moderate', 'busy'],
};

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const ramp = (t: number, start: number, minutes: number): number =>
  t < start ? 0 : minutes <= 0 ? 1 : Math.min(1, (t - start) / minutes);

/** Simulates one run of `scenario`. Deterministic for a given generator state. */
export function simulateRun(scenario: ScenarioName, variant: Variant, rng: Rng): Run {
  const v = variant;
  const R = Math.round(draw(rng, SERVICE.replicas, v));
  const trafficClass = rng.pick(TRAFFIC_CLASSES[scenario]);
  let load0 = draw(rng, SERVICE[`${trafficClass}Load`], v, true);
  const baseRps = draw(rng, SERVICE[`${trafficClass}Rps`], v, true);
  let baseLatency = draw(rng, SERVICE.baseLatency, v, true);
  const bytesPerRequest = draw(rng, SERVICE.bytesPerRequest, v, true);
  const backgroundBytes = draw(rng, SERVICE.backgroundBytes, v, true);
  const memLimit = draw(rng, SERVICE.memoryLimitBytes, v, true);
  const baseMemRatio = draw(rng, SERVICE.baseMemoryRatio, v);
  const baseErr = rng.chance(0.4) ? 0 : rng.logUniform(1e-5, 3e-3);
  let diurnalAmp = rng.uniform(0, 0.15);
  const diurnalPeriod = rng.uniform(60, 240);
  const diurnalPhase = rng.uniform(0, 2 * Math.PI);
  if (trafficClass === 'busy') {
    // Busy but healthy: the peak of the daily cycle stays below saturation.
    diurnalAmp = Math.min(diurnalAmp, Math.max(0, 0.86 / (load0 * 1.06) - 1));
    baseLatency = Math.min(baseLatency, 0.12);
  }
  if (scenario === 'healthy_busy') load0 = Math.min(load0, 0.8);

  const faultMinute =
    scenario === 'healthy_idle' || scenario === 'healthy_busy' ? null : rng.uniform(6, 24);
  const faultStep = faultMinute === null ? Infinity : Math.round(faultMinute / DT_MIN);

  // Fault parameters (drawn for every run so the stream of draws does not depend on branches).
  const spikeFactor = draw(rng, FAULT.spikeFactor, v);
  const spikeRamp = draw(rng, FAULT.spikeRampMin, v);
  const leakRate = draw(rng, FAULT.leakPerMin, v, true);
  const starvedCap = draw(rng, FAULT.starvedCapacity, v);
  const starveRamp = draw(rng, FAULT.starveRampMin, v);
  const burstErr = draw(rng, FAULT.burstError, v, true);
  const burstMin = draw(rng, FAULT.burstMinutes, v);
  const latExtra = draw(rng, FAULT.latencyExtraSeconds, v, true);
  const latRamp = draw(rng, FAULT.latencyRampMin, v);
  const releaseErr = draw(rng, FAULT.releaseError, v, true);
  const releaseLatMult = rng.chance(0.4) ? rng.uniform(2, 12) : 1;
  const cacheErr = draw(rng, FAULT.cacheError, v, true);
  const cacheTau = draw(rng, FAULT.cacheTauMin, v);
  const lossFraction = draw(rng, FAULT.nodeLossFraction, v);
  const rescheduleMin = draw(rng, FAULT.rescheduleMin, v);
  const crashFraction = rng.uniform(0.5, 1);
  const crashStaggerMin = rng.uniform(0, 3);
  const surgeOnly = R < 4 ? rng.chance(0.3) : rng.chance(0.5);
  const startupSteps = rng.int(1, 5);

  const pods: Pod[] = Array.from({ length: R }, () => {
    const baseMem = clamp(baseMemRatio * rng.uniform(0.85, 1.15), 0.05, 0.9);
    return {
      ready: true,
      exists: true,
      startupLeft: 0,
      memRatio: baseMem,
      baseMem,
      leakPerMin: 0,
      isNew: false,
      crashing: false,
      nextCrashAt: 0,
      backoffSeconds: 10,
      rescheduleAtStep: 0,
    };
  });

  const totalSteps = PREROLL_STEPS + RECORD_STEPS + HORIZON_STEPS;
  const restartRing: number[] = [];
  const memHistory: number[] = [];
  let trafficWalk = 0;
  let rolloutQueue: number[] = [];
  let rolloutWave: number[] = [];
  const rows: { features: number[]; breach: boolean }[] = [];

  const restartPod = (p: Pod, steps: number): void => {
    p.ready = false;
    p.startupLeft = steps;
    p.memRatio = p.baseMem * rng.uniform(0.4, 0.7);
  };

  for (let step = 0; step < totalSteps; step++) {
    const rel = step - PREROLL_STEPS; // step index in the recording
    const t = rel * DT_MIN; // minutes since the recording start
    const f = faultMinute ?? Infinity;
    let restarts = 0;
    let lostFraction = 0;

    // Fault onsets.
    if (rel === faultStep) {
      if (scenario === 'memory_leak') {
        for (const p of pods) p.leakPerMin = leakRate * rng.uniform(0.7, 1.3);
      } else if (scenario === 'deploy_in_progress' || scenario === 'bad_release') {
        rolloutQueue = pods.map((_, i) => i);
      } else if (scenario === 'node_loss') {
        const lost = Math.max(1, Math.round(R * lossFraction));
        for (let i = 0; i < lost; i++) {
          const p = pods[i] as Pod;
          p.exists = false;
          p.ready = false;
          p.rescheduleAtStep =
            rel + Math.max(1, Math.round((rescheduleMin * rng.uniform(0.7, 1.3)) / DT_MIN));
        }
        lostFraction += (lost / R) * rng.uniform(0.2, 0.6);
      }
    }
    if (scenario === 'crash_loop' && rel >= faultStep) {
      const crashing = Math.max(1, Math.round(R * crashFraction));
      for (let i = 0; i < crashing; i++) {
        const p = pods[i] as Pod;
        const startAt = faultStep + Math.round(((i / crashing) * crashStaggerMin) / DT_MIN);
        if (!p.crashing && rel >= startAt) {
          p.crashing = true;
          p.ready = false;
          p.nextCrashAt = rel * STEP_SECONDS + rng.uniform(0, STEP_SECONDS);
          p.backoffSeconds = 10;
          lostFraction += rng.uniform(0.1, 0.5) / R;
        }
      }
    }

    // Rolling update: replace pods in waves of up to 25 % of the replicas.
    if (rolloutQueue.length > 0 || rolloutWave.length > 0) {
      rolloutWave = rolloutWave.filter((i) => (pods[i] as Pod).startupLeft > 0);
      if (rolloutWave.length === 0 && rolloutQueue.length > 0) {
        const size = Math.max(1, Math.floor(R / 4));
        rolloutWave = rolloutQueue.splice(0, size);
        for (const i of rolloutWave) {
          const p = pods[i] as Pod;
          p.isNew = true;
          p.startupLeft = startupSteps + rng.int(0, 1);
          p.ready = surgeOnly; // with surge, the old pod keeps serving until the new one is ready
          p.memRatio = p.baseMem * rng.uniform(0.35, 0.6);
        }
      }
    }

    // Pods: startup, crash loops, memory, OOM kills, rescheduling.
    for (const p of pods) {
      if (!p.exists) {
        if (rel >= p.rescheduleAtStep) {
          p.exists = true;
          restartPod(p, startupSteps);
        }
        continue;
      }
      if (p.crashing) {
        const end = (rel + 1) * STEP_SECONDS;
        while (p.nextCrashAt < end) {
          restarts++;
          p.nextCrashAt += rng.uniform(3, 15) + p.backoffSeconds;
          p.backoffSeconds = Math.min(p.backoffSeconds * 2, 300);
        }
        // A crash-looping container spends most of its time in back-off, not running: cAdvisor
        // then reports no working set, so a deployment whose pods all crash reads ~0 memory.
        // That must not look healthy (the e2e demo caught a model that read it so).
        p.memRatio = rng.chance(0.75) ? 0 : p.baseMem * rng.uniform(0.05, 0.5);
        continue;
      }
      if (p.startupLeft > 0) {
        p.startupLeft--;
        if (p.startupLeft === 0) p.ready = true;
      }
      // Healthy pods drift back to their working set; a leaking pod only grows.
      const drift = p.leakPerMin > 0 ? p.leakPerMin : (p.baseMem - p.memRatio) * 0.12;
      p.memRatio += drift * DT_MIN + rng.normal() * 0.003;
      p.memRatio = Math.max(p.memRatio, 0.02);
      if (p.memRatio >= 1) {
        restarts++;
        lostFraction += rng.uniform(0.3, 0.8) / R;
        restartPod(p, rng.int(1, 2));
      } else if (rng.chance(0.002)) {
        // An unremarkable restart (node drain, liveness blip): should not alarm on its own.
        restarts++;
        restartPod(p, 1);
      }
    }

    // Traffic and load.
    trafficWalk = 0.9 * trafficWalk + 0.03 * rng.normal();
    const diurnal = 1 + diurnalAmp * Math.sin((2 * Math.PI * t) / diurnalPeriod + diurnalPhase);
    const spike = scenario === 'traffic_spike' ? 1 + (spikeFactor - 1) * ramp(t, f, spikeRamp) : 1;
    const rps = baseRps * diurnal * spike * Math.exp(trafficWalk);
    const capacity =
      scenario === 'cpu_starvation' ? 1 - (1 - starvedCap) * ramp(t, f, starveRamp) : 1;
    const existing = pods.filter((p) => p.exists);
    const serving = pods.filter((p) => p.ready);
    const nServing = serving.length;
    const rho = nServing > 0 ? (load0 * (rps / baseRps) * (R / nServing)) / capacity : 0;

    // Latency.
    const newServing = serving.filter((p) => p.isNew).length;
    const newFraction = nServing > 0 ? newServing / nServing : 0;
    let latFactor = 1;
    let extraLatency = 0;
    if (scenario === 'latency_regression') extraLatency = latExtra * ramp(t, f, latRamp);
    if (scenario === 'bad_release') latFactor = 1 + (releaseLatMult - 1) * newFraction;
    if (scenario === 'poisoned_cache' && t >= f)
      latFactor = 1 + 0.5 * (1 - Math.exp(-(t - f) / cacheTau));
    const rc = Math.min(rho, 0.97);
    let queueing = 1 + (0.3 * rc) / (1 - rc);
    if (rho > 0.97) queueing *= 1 + 8 * (rho - 0.97);
    // Garbage-collection pressure slows a pod down as its memory nears the limit.
    let memPressure = 0;
    for (const p of serving) memPressure = Math.max(memPressure, p.memRatio - 0.85);
    const gc = 1 + 10 * Math.max(0, memPressure);
    const p95 =
      nServing > 0 ? (baseLatency * latFactor * gc + extraLatency) * queueing : baseLatency * 2;

    // Errors.
    let err: number;
    if (rps < 1e-3) err = 0;
    else if (nServing === 0) err = 1;
    else {
      err = baseErr + (rho > 1 ? Math.min(0.9, (rho - 1) * 0.8) : 0) + lostFraction;
      if (scenario === 'error_burst' && t >= f && t < f + burstMin) err += burstErr;
      if (scenario === 'bad_release') err += releaseErr * newFraction;
      if (scenario === 'poisoned_cache' && t >= f)
        err += cacheErr * (1 - Math.exp(-(t - f) / cacheTau));
      if (rng.chance(0.01)) err += rng.uniform(0.002, 0.02);
      err = clamp(err, 0, 1);
    }
    const readyRatio = nServing / R;
    const breach =
      err >= SLO.maxErrorRate || p95 >= SLO.maxP95LatencySeconds || readyRatio < SLO.minReadyRatio;

    // Measurements, with noise.
    restartRing.push(restarts);
    if (restartRing.length > STEPS_PER_5M) restartRing.shift();
    const restarts5m = restartRing.reduce((a, b) => a + b, 0);
    let cpuSum = 0;
    for (const p of existing) {
      if (p.crashing) cpuSum += rng.uniform(0, 8);
      else if (!p.ready) cpuSum += rng.uniform(15, 80);
      else cpuSum += 100 * Math.min(rho, 1);
    }
    const cpu =
      existing.length > 0 ? (cpuSum / existing.length) * Math.exp(0.03 * rng.normal()) : 0;
    const throttle = nServing > 0 ? clamp((rho - 0.7) * 2.5 + 0.01 * rng.normal(), 0, 0.99) : 0;
    let memMax = 0;
    let memSum = 0;
    for (const p of existing) {
      memMax = Math.max(memMax, p.memRatio);
      memSum += p.memRatio;
    }
    const memMean = existing.length > 0 ? memSum / existing.length : 0;
    const memRatioMeasured = memMax * (1 + 0.005 * rng.normal());
    memHistory.push(memRatioMeasured);
    const lag = Math.min(4, memHistory.length - 1);
    const growth =
      lag > 0
        ? (memRatioMeasured - (memHistory[memHistory.length - 1 - lag] as number)) /
            (lag * DT_MIN) +
          0.001 * rng.normal()
        : 0;
    const errMeasured = err === 0 ? 0 : clamp(err * Math.exp(0.05 * rng.normal()), 0, 1);

    const values: Record<FeatureName, number> = {
      restart_count_last_5m: restarts5m > 0 ? restarts5m * rng.uniform(0.95, 1.15) : 0,
      cpu_usage_pct: Math.max(cpu, 0),
      memory_usage_bytes: memMean * memLimit * (1 + 0.01 * rng.normal()),
      ready_replica_ratio: readyRatio,
      unavailable_replicas: R - nServing,
      network_receive_bytes_per_s:
        rps * bytesPerRequest * Math.exp(0.05 * rng.normal()) +
        backgroundBytes * Math.exp(0.2 * rng.normal()),
      http_5xx_error_rate: errMeasured,
      http_p95_latency_seconds: p95 * Math.exp(0.05 * rng.normal()),
      http_requests_per_s: rps * Math.exp(0.02 * rng.normal()),
      memory_limit_ratio: clamp(memRatioMeasured, 0, 2),
      memory_growth_ratio_per_min: clamp(growth, -10, 10),
      cpu_throttle_ratio: throttle,
    };
    if (rel >= 0) rows.push({ features: FEATURE_NAMES.map((n) => values[n]), breach });
  }

  const samples: Sample[] = [];
  let firstBreachMinute: number | null = null;
  for (let i = 0; i < RECORD_STEPS; i++) {
    const row = rows[i] as { features: number[]; breach: boolean };
    let label: 0 | 1 = 0;
    for (let j = i; j <= i + HORIZON_STEPS; j++) {
      if ((rows[j] as { breach: boolean }).breach) {
        label = 1;
        break;
      }
    }
    const minute = i * DT_MIN;
    if (row.breach && firstBreachMinute === null) firstBreachMinute = minute;
    const forecastable = !(
      label === 1 &&
      !row.breach &&
      faultMinute !== null &&
      minute < faultMinute
    );
    samples.push({ features: row.features, breach: row.breach, label, minute, forecastable });
  }
  return { scenario, variant, faultMinute, firstBreachMinute, samples };
}
