import {
  BASELINE_FEATURES,
  LABEL_HORIZON_MINUTES,
  type BaselineContext,
  type FeatureInput,
  type FeatureName,
} from '../schema.js';
import type { Rng } from '../rng.js';
import { DeploymentHistory } from '../features/tracker.js';
import { DEFAULT_SLO } from '../slo/burnRate.js';
import { FAULT, SERVICE, draw, type ScenarioName, type Variant } from './scenarios.js';

/** Seconds between two samples, like a healer cycle or a Prometheus range-query step. */
export const STEP_SECONDS = 30;
const DT_MIN = STEP_SECONDS / 60;
const STEPS_PER_5M = 300 / STEP_SECONDS;
/** Normal history simulated before the recording (75 min: the 1 h baseline window, its 5 min gap, slack). */
export const HISTORY_STEPS = 150;
export const RECORD_MINUTES = 40;
const RECORD_STEPS = (RECORD_MINUTES * 60) / STEP_SECONDS;
const HORIZON_STEPS = (LABEL_HORIZON_MINUTES * 60) / STEP_SECONDS;

/**
 * A run's service level objective, the breach of which the model predicts: its own, as an SRE
 * would set it from the service's normal — 1–5 % errors, p95 latency 1.8–3.5× its normal p95 (at
 * least 20 ms), fewer than half of the desired pods ready — and saturation: pinned at its CPU
 * limit for a minute when that is not its normal (USE method: a throttled pod queues requests
 * behind its CFS quota before latency shows it).
 */
export interface RunSlo {
  maxErrorRate: number;
  maxP95LatencySeconds: number;
  minReadyRatio: number;
  saturatedCpuPct: number;
}

/** One labelled row. */
export interface Sample {
  /** Raw features (as the healer would send them) and the baseline context from the history. */
  row: FeatureInput;
  /** The SLO is breached at this sample (true values, before measurement noise). */
  breach: boolean;
  /** 1 when the SLO is breached now or within LABEL_HORIZON_MINUTES. */
  label: 0 | 1;
  /** Minutes since the start of the recording. */
  minute: number;
  /** Unix seconds. */
  t: number;
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
  slo: RunSlo;
  replicas: number;
  samples: Sample[];
  /** Measured 5xx ratio and p95 over the normal history (for the 3σ baseline). */
  history: { err: number[]; p95: number[] };
}

interface Pod {
  ready: boolean;
  exists: boolean;
  startupLeft: number;
  memRatio: number;
  baseMem: number;
  leakPerMin: number;
  isNew: boolean;
  crashing: boolean;
  nextCrashAt: number;
  backoffSeconds: number;
  rescheduleAtStep: number;
}

type TrafficClass = 'idle' | 'moderate' | 'busy';

const TRAFFIC_CLASSES: Record<ScenarioName, readonly TrafficClass[]> = {
  healthy_idle: ['idle', 'idle', 'idle', 'moderate', 'moderate'],
  healthy_busy: ['busy'],
  healthy_high_memory: ['idle', 'moderate', 'moderate', 'busy'],
  healthy_churn: ['moderate', 'busy'],
  deploy_in_progress: ['idle', 'moderate', 'moderate', 'busy'],
  traffic_spike: ['moderate', 'busy', 'busy'],
  crash_loop: ['idle', 'idle', 'moderate', 'busy'],
  memory_leak: ['idle', 'moderate', 'moderate', 'busy'],
  cpu_starvation: ['moderate', 'busy', 'busy'],
  cpu_hog: ['idle', 'idle', 'moderate', 'moderate', 'busy'],
  error_burst: ['idle', 'moderate', 'busy'],
  latency_regression: ['idle', 'idle', 'moderate', 'busy'],
  bad_release: ['idle', 'moderate', 'busy'],
  poisoned_cache: ['idle', 'moderate', 'busy'],
  node_loss: ['idle', 'moderate', 'moderate', 'busy'],
};

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const ramp = (t: number, start: number, minutes: number): number =>
  t < start ? 0 : minutes <= 0 ? 1 : Math.min(1, (t - start) / minutes);

/** Instantaneous, noise-free signals of one step. */
interface Truth {
  rps: number;
  err: number;
  p95: number;
  cpu: number;
  throttle: number;
  rx: number;
}

/**
 * Choices of the generator that the real-data evaluation may tune (leave-one-day-out, see
 * scripts/tune.ts); the committed model uses DEFAULT_GENERATOR.
 */
export interface GeneratorOptions {
  /** A run's latency objective is its normal p95 × a factor drawn from this range. */
  latencySloFactor: readonly [number, number];
  /** Chance per step of a p95 outlier on a quiet service (scaled per run). */
  latencyBlipMax: number;
}

/**
 * The committed choice: `latency-objective-loose` of scripts/tune.ts, the best over the three
 * Nezha days (leave-one-day-out results in the artifact's tuning.json and report).
 */
export const DEFAULT_GENERATOR: GeneratorOptions = {
  latencySloFactor: [1.8, 3.5],
  latencyBlipMax: 0.03,
};

/** Simulates one run of `scenario`. Deterministic for a given generator state. */
export function simulateRun(
  scenario: ScenarioName,
  variant: Variant,
  rng: Rng,
  gen: GeneratorOptions = DEFAULT_GENERATOR,
): Run {
  const v = variant;
  const large =
    scenario === 'healthy_churn' ||
    ((scenario === 'crash_loop' || scenario === 'node_loss' || scenario === 'healthy_idle') &&
      rng.chance(0.25));
  const R = Math.max(
    1,
    Math.round(draw(rng, large ? SERVICE.largeReplicas : SERVICE.replicas, v, true)),
  );
  const trafficClass = rng.pick(TRAFFIC_CLASSES[scenario]);
  let load0 = draw(rng, SERVICE[`${trafficClass}Load`], v, true);
  const baseRps = draw(rng, SERVICE[`${trafficClass}Rps`], v, true) * (large ? R / 4 : 1);
  let baseLatency = draw(rng, SERVICE.baseLatency, v, true);
  const bytesPerRequest = draw(rng, SERVICE.bytesPerRequest, v, true);
  const backgroundBytes = draw(rng, SERVICE.backgroundBytes, v, true);
  const memLimit = draw(rng, SERVICE.memoryLimitBytes, v, true);
  const baseMemRatio =
    scenario === 'healthy_high_memory'
      ? draw(rng, SERVICE.highMemoryRatio, v)
      : draw(rng, SERVICE.baseMemoryRatio, v);
  const baseErr = rng.chance(0.4) ? 0 : rng.logUniform(1e-5, 3e-3);
  let diurnalAmp = rng.uniform(0, 0.2);
  const diurnalPeriod = rng.uniform(60, 480);
  const diurnalPhase = rng.uniform(0, 2 * Math.PI);
  if (trafficClass === 'busy') {
    if (scenario === 'healthy_busy' && rng.chance(0.35)) {
      // At the edge: the daily peak reaches the CPU limit, where the service sheds a few
      // requests — its normal, which its error objective allows for (below).
      diurnalAmp = rng.uniform(0.05, 0.2);
      load0 = rng.uniform(0.97, 1.03) / (1 + diurnalAmp);
    } else {
      // Busy but healthy: the peak of the daily cycle stays below saturation (the traffic's
      // random walk still pushes it into brief throttling now and then).
      diurnalAmp = Math.min(diurnalAmp, Math.max(0, 0.92 / (load0 * 1.06) - 1));
    }
    baseLatency = Math.min(baseLatency, 0.15);
  }
  // How the run's features are measured: rate window (30 s – 2 min), noise, CPU blips.
  const windowSteps = rng.pick([1, 2, 2, 4]);
  const cpuBlipChance = rng.chance(0.5) ? rng.uniform(0.002, 0.02) : 0;
  const latencyBlipChance = rng.chance(0.5) ? rng.uniform(0.002, gen.latencyBlipMax) : 0;
  const cpuFloorNoise = rng.uniform(0.02, 0.4); // percentage points of jitter on an idle pod
  const memoryStepChance = rng.chance(0.5) ? rng.uniform(0.002, 0.02) : 0;
  // Sample-to-sample jitter of the working set (GC sawtooth, buffers): tiny for most services,
  // a few % of the limit for some.
  const memJitter = rng.chance(0.5) ? rng.logUniform(0.002, 0.04) : 0.003;
  const churnPerStep =
    scenario === 'healthy_churn'
      ? (draw(rng, SERVICE.churnPerPodHour, v, true) * DT_MIN) / 60
      : 0.0003;

  const healthy = scenario.startsWith('healthy_');
  const faultMinute = healthy ? null : rng.uniform(3, 30);
  const faultStep = faultMinute === null ? Infinity : Math.round(faultMinute / DT_MIN);
  // Most runs have a full hour of history; some have little or none, as a new deployment does.
  const historySteps = rng.chance(0.8)
    ? HISTORY_STEPS
    : rng.chance(0.5)
      ? rng.int(0, 40)
      : rng.int(40, HISTORY_STEPS);

  // Fault parameters (drawn for every run so the stream of draws does not depend on branches).
  const spikeFactor = draw(rng, FAULT.spikeFactor, v);
  const spikeRamp = draw(rng, FAULT.spikeRampMin, v);
  const leakRate = draw(rng, FAULT.leakPerMin, v, true);
  const starvedCap = draw(rng, FAULT.starvedCapacity, v);
  const starveRamp = draw(rng, FAULT.starveRampMin, v);
  const hogFactor = draw(rng, FAULT.hogFactor, v, true);
  const hogRamp = draw(rng, FAULT.hogRampMin, v);
  const hogLatency = draw(rng, FAULT.hogLatency, v, true);
  const hogPins = rng.chance(0.6);
  // Flapping incidents: some faults already struck briefly in the last hour, so the baseline
  // window holds them too (as on a day of repeated incidents).
  const priorEpisodes: [number, number][] = [];
  if (
    rng.chance(0.35) &&
    (scenario === 'cpu_hog' || scenario === 'latency_regression' || scenario === 'error_burst')
  ) {
    for (let k = rng.int(1, 4); k > 0; k--) {
      const start = -rng.uniform(4, 60);
      priorEpisodes.push([start, start + rng.uniform(2, 5)]);
    }
  }
  const burstErr = draw(rng, FAULT.burstError, v, true);
  const burstMin = draw(rng, FAULT.burstMinutes, v);
  const latExtra = draw(rng, FAULT.latencyExtraFactor, v, true) * baseLatency;
  const latRamp = draw(rng, FAULT.latencyRampMin, v);
  const releaseErr = draw(rng, FAULT.releaseError, v, true);
  const releaseLatMult = rng.chance(0.4) ? rng.uniform(2, 12) : 1;
  const cacheErr = draw(rng, FAULT.cacheError, v, true);
  const cacheTau = draw(rng, FAULT.cacheTauMin, v);
  const lossFraction = draw(rng, FAULT.nodeLossFraction, v);
  const rescheduleMin = draw(rng, FAULT.rescheduleMin, v);
  const crashFraction = rng.uniform(0.3, 1);
  const crashStaggerMin = rng.uniform(0, 3);
  const surgeOnly = R < 4 ? rng.chance(0.3) : rng.chance(0.5);
  const startupSteps = rng.int(1, 5);
  // Around the 5 % the SLO-distance rule (and an on-call) reads as "failing now".
  const sloErr = rng.uniform(0.02, 0.08);
  const sloLatFactor = rng.uniform(gen.latencySloFactor[0], gen.latencySloFactor[1]);
  const t0 = 1_700_000_000 + rng.int(0, 86_400 * 7) * 10; // grid alignment varies between runs

  const pods: Pod[] = Array.from({ length: R }, () => {
    const baseMem = clamp(baseMemRatio * rng.uniform(0.95, 1.05), 0.03, 0.97);
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

  const totalSteps = historySteps + RECORD_STEPS + HORIZON_STEPS;
  const restartRing: number[] = [];
  const memHistory: number[] = [];
  const window: Truth[] = [];
  let trafficWalk = 0;
  let rolloutQueue: number[] = [];
  let rolloutWave: number[] = [];
  let cpuBlip = 0;
  const rows: {
    values: Partial<Record<FeatureName, number>>;
    p95True: number;
    errTrue: number;
    /** True request rate of this step (req/s), for the minimum-request rule of the SLO. */
    rpsTrue: number;
    /** A pod was OOM-killed in this step. */
    oomKilled: boolean;
    /** A pod is waiting in CrashLoopBackOff in this step. */
    crashLooping: boolean;
    ready: number;
    cpuTrue: number;
    breach: boolean;
  }[] = [];

  const restartPod = (p: Pod, steps: number): void => {
    p.ready = false;
    p.startupLeft = steps;
    p.memRatio = p.baseMem * rng.uniform(0.4, 0.7);
  };

  for (let step = 0; step < totalSteps; step++) {
    const rel = step - historySteps; // step index in the recording
    const t = rel * DT_MIN; // minutes since the recording start
    const f = faultMinute ?? Infinity;
    let restarts = 0;
    let oomKilled = false;
    let crashLooping = false;
    let lostFraction = 0;
    const prior = priorEpisodes.some(([a, b]) => t >= a && t < b) ? 1 : 0;

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
          p.ready = surgeOnly;
          p.memRatio = p.baseMem * rng.uniform(0.35, 0.6);
        }
      }
    }

    // A step in the working set that is not a leak: a cache warming, buffers for a burst of
    // traffic. It looks like fast growth for a window, then settles back.
    // Its size is a share of the headroom: a working set does not step to its limit without leaking.
    const memoryStep =
      memoryStepChance > 0 && rng.chance(memoryStepChance) ? rng.uniform(0.1, 0.3) : 0;
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
        // Crashed at least once and waiting out its back-off: kube-state-metrics reports the
        // container waiting in CrashLoopBackOff, an incident the export labels as such.
        if (p.backoffSeconds > 10) crashLooping = true;
        // A crash-looping container spends most of its time in back-off, not running: cAdvisor
        // then reports no working set, so a deployment whose pods all crash reads ~0 memory.
        p.memRatio = rng.chance(0.75) ? 0 : p.baseMem * rng.uniform(0.05, 0.5);
        continue;
      }
      if (p.startupLeft > 0) {
        p.startupLeft--;
        if (p.startupLeft === 0) p.ready = true;
      }
      const drift = p.leakPerMin > 0 ? p.leakPerMin : (p.baseMem - p.memRatio) * 0.12;
      p.memRatio +=
        memoryStep * Math.max(0, 1 - p.memRatio) + drift * DT_MIN + rng.normal() * 0.002;
      p.memRatio = Math.max(p.memRatio, 0.02);
      if (p.memRatio >= 1) {
        oomKilled = true;
        restarts++;
        lostFraction += rng.uniform(0.3, 0.8) / R;
        restartPod(p, rng.int(1, 2));
      } else if (rng.chance(churnPerStep)) {
        // An unremarkable restart (eviction, liveness blip): should not alarm on its own.
        restarts++;
        restartPod(p, 1);
      }
    }

    // Traffic, load and the contention of a CPU hog.
    trafficWalk = 0.9 * trafficWalk + 0.03 * rng.normal();
    const diurnal =
      1 +
      diurnalAmp *
        Math.sin((2 * Math.PI * (t + historySteps * DT_MIN)) / diurnalPeriod + diurnalPhase);
    const spike = scenario === 'traffic_spike' ? 1 + (spikeFactor - 1) * ramp(t, f, spikeRamp) : 1;
    const rps = baseRps * diurnal * spike * Math.exp(trafficWalk);
    const capacity =
      scenario === 'cpu_starvation' ? 1 - (1 - starvedCap) * ramp(t, f, starveRamp) : 1;
    // A busy loop takes whatever the limit allows; a heavier code path only some of it.
    const hog =
      scenario === 'cpu_hog'
        ? (hogPins ? 1.2 : Math.min(load0 * hogFactor, 3)) * Math.max(prior, ramp(t, f, hogRamp))
        : 0;
    const serving = pods.filter((p) => p.ready);
    const existing = pods.filter((p) => p.exists);
    const nServing = serving.length;
    const rhoBase = nServing > 0 ? (load0 * (rps / baseRps) * (R / nServing)) / capacity : 0;
    const rho = rhoBase * (1 + Math.min(hog, 1) * 0.5) + Math.max(0, rhoBase + hog - 1) * 0.5;

    // Latency.
    const newServing = serving.filter((p) => p.isNew).length;
    const newFraction = nServing > 0 ? newServing / nServing : 0;
    let latFactor = 1 + hogLatency * Math.min(hog, 1) * 0.3;
    let extraLatency = 0;
    if (scenario === 'latency_regression')
      extraLatency = latExtra * Math.max(prior, ramp(t, f, latRamp));
    if (scenario === 'bad_release') latFactor *= 1 + (releaseLatMult - 1) * newFraction;
    if (scenario === 'poisoned_cache' && t >= f)
      latFactor *= 1 + 0.5 * (1 - Math.exp(-(t - f) / cacheTau));
    const rc = Math.min(rho, 0.97);
    let queueing = 1 + (0.3 * rc) / (1 - rc);
    if (rho > 0.97) queueing *= 1 + 8 * (rho - 0.97);
    let memPressure = 0;
    for (const p of serving) memPressure = Math.max(memPressure, p.memRatio - 0.97);
    const gc = 1 + 30 * Math.max(0, memPressure);
    const p95 =
      nServing > 0 ? (baseLatency * latFactor * gc + extraLatency) * queueing : baseLatency * 2;

    // Errors.
    let err: number;
    if (rps < 1e-4) err = 0;
    else if (nServing === 0) err = 1;
    else {
      err = baseErr + (rho > 1 ? Math.min(0.9, (rho - 1) * 0.8) : 0) + lostFraction;
      if (scenario === 'error_burst' && ((t >= f && t < f + burstMin) || prior)) err += burstErr;
      if (scenario === 'bad_release') err += releaseErr * newFraction;
      if (scenario === 'poisoned_cache' && t >= f)
        err += cacheErr * (1 - Math.exp(-(t - f) / cacheTau));
      err = clamp(err, 0, 1);
    }
    const readyRatio = nServing / R;

    let cpuSum = 0;
    for (const p of existing) {
      if (p.crashing) cpuSum += rng.uniform(0, 8);
      else if (!p.ready) cpuSum += rng.uniform(15, 80);
      else cpuSum += 100 * Math.min(rhoBase + hog, 1);
    }
    if (cpuBlip > 0) cpuBlip--;
    else if (rng.chance(cpuBlipChance)) cpuBlip = rng.int(1, 3);
    const cpuSteady = existing.length > 0 ? cpuSum / existing.length : 0;
    // Short bursts (GC, a cron job) that never pin the pod at its limit.
    const cpu =
      cpuBlip > 0 ? Math.max(cpuSteady, Math.min(cpuSteady * rng.uniform(2, 8), 90)) : cpuSteady;
    window.push({
      rps,
      err,
      p95,
      cpu,
      throttle: nServing > 0 ? clamp((rhoBase + hog - 0.7) * 2.5, 0, 0.99) : 0,
      rx: rps * bytesPerRequest + backgroundBytes,
    });
    if (window.length > windowSteps) window.shift();

    // What Prometheus would report: rates over the window, with measurement noise.
    let wRps = 0;
    let wErr = 0;
    let wP95 = 0;
    let wCpu = 0;
    let wThr = 0;
    let wRx = 0;
    for (const w of window) {
      wRps += w.rps;
      wErr += w.err * w.rps;
      wP95 += w.p95 * Math.max(w.rps, 1e-9);
      wCpu += w.cpu;
      wThr += w.throttle;
      wRx += w.rx;
    }
    const nw = window.length;
    const rpsSum = wRps;
    wRps /= nw;
    const seconds = nw * STEP_SECONDS;
    const requests = rng.poisson(wRps * seconds);
    const errTrue = rpsSum > 0 ? wErr / rpsSum : 0;
    const p95Window = wP95 / Math.max(rpsSum, 1e-9 * nw);
    const errMeasured = requests > 0 ? Math.min(1, rng.poisson(errTrue * requests) / requests) : 0;
    const latNoise = clamp(0.7 / Math.sqrt(Math.max(requests * 0.05, 0.25)), 0.02, 1);
    // Outliers: a slow request among few makes the p95 of a quiet service jump (×10 and more).
    const latBlip = rng.chance(latencyBlipChance) ? rng.logUniform(1.5, requests < 30 ? 20 : 4) : 1;

    restartRing.push(restarts);
    if (restartRing.length > STEPS_PER_5M) restartRing.shift();
    const restarts5m = restartRing.reduce((a, b) => a + b, 0);
    let memMax = 0;
    let memSum = 0;
    for (const p of existing) {
      memMax = Math.max(memMax, p.memRatio);
      memSum += p.memRatio;
    }
    const memMean = existing.length > 0 ? memSum / existing.length : 0;
    const memRatioMeasured = memMax * (1 + memJitter * rng.normal());
    memHistory.push(memRatioMeasured);
    // Growth as `deriv` over the run's rate window: a short window on a jittery working set reads
    // spurious growth (and shrinkage) of several % of the limit per minute.
    const lag = Math.min(windowSteps, memHistory.length - 1);
    const growth =
      lag > 0
        ? (memRatioMeasured - (memHistory[memHistory.length - 1 - lag] as number)) /
            (lag * DT_MIN) +
          0.0005 * rng.normal()
        : 0;
    const values: Partial<Record<FeatureName, number>> = {
      restart_count_last_5m: restarts5m > 0 ? restarts5m * rng.uniform(0.95, 1.15) : 0,
      cpu_usage_pct: Math.max(
        0,
        (wCpu / nw) * Math.exp(0.04 * rng.normal()) + cpuFloorNoise * rng.normal(),
      ),
      memory_usage_bytes: Math.max(0, memMean * memLimit * (1 + 0.005 * rng.normal())),
      ready_replica_ratio: readyRatio,
      unavailable_replicas: R - nServing,
      network_receive_bytes_per_s: Math.max(0, (wRx / nw) * Math.exp(0.08 * rng.normal())),
      http_5xx_error_rate: errMeasured,
      http_requests_per_s: requests / seconds,
      memory_limit_ratio: clamp(memRatioMeasured, 0, 2),
      memory_growth_ratio_per_min: clamp(growth, -10, 10),
      cpu_throttle_ratio: clamp(wThr / nw + 0.005 * rng.normal(), 0, 1),
      replicas: R,
    };
    // No request in the window: histogram_quantile has nothing to say.
    if (requests > 0)
      values.http_p95_latency_seconds = p95Window * Math.exp(latNoise * rng.normal()) * latBlip;
    // Breaches are judged on the true signals once the run's SLO is known (below).
    rows.push({
      values,
      p95True: p95Window,
      errTrue,
      rpsTrue: rps,
      oomKilled,
      crashLooping,
      ready: readyRatio,
      cpuTrue: wCpu / nw,
      breach: false,
    });
  }

  // The run's SLO, from its own normal: the median true p95 before anything happened.
  const before = rows.slice(0, Math.max(historySteps, 1)).map((r) => r.p95True);
  const sortedP95 = [...(before.length > 0 ? before : [baseLatency])].sort((a, b) => a - b);
  const normalP95 = sortedP95[Math.floor(sortedP95.length / 2)] as number;
  const cpuBefore = rows
    .slice(0, Math.max(historySteps, 1))
    .map((r) => r.cpuTrue)
    .sort((a, b) => a - b);
  const normalCpu = cpuBefore[Math.floor(cpuBefore.length / 2)] as number;
  // The error and latency objectives sit above what the service does at its normal peaks, as an
  // SRE sets them from the service's history: a busy service that drops 2 % of its requests, or
  // whose p95 triples as it queues at its daily peak, is not in breach there (a run that breached
  // its objective by its own normal would also count as a false alarm in a healthy run). Its
  // normal: the rows before the fault (none if an earlier episode is among them).
  const normalRows =
    priorEpisodes.length > 0 ? [] : rows.slice(0, historySteps + Math.min(faultStep, RECORD_STEPS));
  const peakOf = (xs: number[]): number => {
    if (xs.length === 0) return 0;
    xs.sort((a, b) => a - b);
    return xs[Math.floor(0.98 * (xs.length - 1))] as number;
  };
  const peakErr = peakOf(normalRows.map((r) => r.errTrue));
  const peakP95 = peakOf(normalRows.map((r) => r.p95True));
  const slo: RunSlo = {
    maxErrorRate: Math.max(sloErr, Math.min(0.2, 1.5 * peakErr)),
    maxP95LatencySeconds: Math.max(normalP95 * sloLatFactor, 1.5 * peakP95, 0.02),
    minReadyRatio: 0.5,
    saturatedCpuPct: 95,
  };
  // Requests over the trailing 5 minutes (true rates): an error or latency objective is judged
  // only on at least DEFAULT_SLO.minRequests of them, as the SLO layer does — a failure among a
  // handful of calls to an idle service is not an outage, and no measurement could show it.
  let requests5m = 0;
  rows.forEach((r, i) => {
    requests5m += r.rpsTrue * STEP_SECONDS;
    if (i >= STEPS_PER_5M)
      requests5m -= (rows[i - STEPS_PER_5M] as { rpsTrue: number }).rpsTrue * STEP_SECONDS;
    const judged = requests5m >= DEFAULT_SLO.minRequests;
    // Saturation: pinned at the CPU limit for a minute, when that is not the deployment's normal.
    const saturated =
      normalCpu < 80 &&
      r.cpuTrue >= slo.saturatedCpuPct &&
      (rows[i - 1]?.cpuTrue ?? 0) >= slo.saturatedCpuPct;
    r.breach =
      (judged && (r.errTrue >= slo.maxErrorRate || r.p95True >= slo.maxP95LatencySeconds)) ||
      r.ready < slo.minReadyRatio ||
      // An OOM kill is an incident whatever the traffic, as the export labels a restart after an
      // OOMKilled termination: the leak's breach does not wait for enough requests to fail.
      r.oomKilled ||
      // So is a pod in CrashLoopBackOff (the export's kube-state-metrics label): a crashing pod
      // is an incident even while its siblings still serve every request.
      r.crashLooping ||
      saturated;
  });

  // Baselines from the history, exactly as replay and the healer's queries compute them.
  const history = new DeploymentHistory();
  const samples: Sample[] = [];
  const weekNoise = rng.chance(0.3) ? 0.12 : -1;
  const dropContext = rng.chance(0.1);
  let firstBreachMinute: number | null = null;
  const hist = { err: [] as number[], p95: [] as number[] };
  for (let step = 0; step < historySteps + RECORD_STEPS; step++) {
    const r = rows[step] as (typeof rows)[number];
    const t = t0 + step * STEP_SECONDS;
    history.observe(t, r.values);
    const rel = step - historySteps;
    if (rel < 0) {
      hist.err.push(r.values.http_5xx_error_rate as number);
      if (r.values.http_p95_latency_seconds !== undefined)
        hist.p95.push(r.values.http_p95_latency_seconds);
      continue;
    }
    let label: 0 | 1 = 0;
    for (let j = step; j <= step + HORIZON_STEPS && j < rows.length; j++) {
      if ((rows[j] as { breach: boolean }).breach) {
        label = 1;
        break;
      }
    }
    const minute = rel * DT_MIN;
    if (r.breach && firstBreachMinute === null) firstBreachMinute = minute;
    const forecastable = !(
      label === 1 &&
      !r.breach &&
      faultMinute !== null &&
      minute < faultMinute
    );
    const row = { ...r.values } as FeatureInput;
    // The SLO windows replay would send (not a model input; the evaluation ORs in the SLO layer).
    row.slo = { windows: history.sloWindows(t) };
    if (!dropContext) {
      const ctx: BaselineContext = history.context(t);
      if (weekNoise > 0) {
        for (const name of BASELINE_FEATURES) {
          const b = ctx[name];
          if (b?.p50 !== undefined) b.last_week = b.p50 * Math.exp(weekNoise * rng.normal());
        }
      }
      if (Object.keys(ctx).length > 0) row.baseline = ctx;
    }
    samples.push({ row, breach: r.breach, label, minute, t, forecastable });
  }
  return {
    scenario,
    variant,
    faultMinute,
    firstBreachMinute,
    slo,
    replicas: R,
    samples,
    history: hist,
  };
}
