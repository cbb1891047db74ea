/**
 * Event-level scoring of a detector on a labelled day (no point-adjusted F1): a fault counts as
 * detected when the detector alerts at a row timed within [injection, injection + window]; the
 * lag is the first such row's time minus the injection; false alarms are the distinct minutes with
 * an alert in the fault-free period, per hour of it. Pure.
 */
export interface FaultEvent {
  t: number;
  deployment: string;
  type: string;
}

/** One alerting row: when, and which deployment (undefined for a system-level detector). */
export interface AlertRow {
  t: number;
  deployment?: string;
}

export interface EventScore {
  faults: number;
  detected: number;
  /** Detected by an alert on the injected deployment itself (per-deployment detectors only). */
  culpritDetected: number | null;
  /** Per fault type: [detected, faults]. */
  byType: Record<string, [number, number]>;
  /** Seconds from injection to the first alerting row in the window, per detected fault. */
  lagsSeconds: number[];
  medianLagSeconds: number | null;
  falseAlarmMinutes: number;
  faultFreeHours: number;
  falseAlarmMinutesPerHour: number;
  /**
   * Faults an alarm would detect by chance at this false-alarm rate (see `chanceDetections`): a
   * detection count near it says little about the detector.
   */
  chanceDetected: number;
  /** Per fault: whether detected, and the lag. */
  perFault: {
    t: number;
    deployment: string;
    type: string;
    detected: boolean;
    lagSeconds: number | null;
  }[];
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * How many of `faults` an alarm blind to them would detect: one that covers the same share of
 * minutes as the detector does in the fault-free hours (`faMinutesPerHour` / 60), each minute
 * independently, against a window of `windowSeconds` (+240 s spans 5 one-minute rows). A rule
 * alerting 52 minutes per hour "detects" nearly every fault this way; at 1 minute per hour, 8 %.
 * NaN without a false-alarm rate.
 */
export function chanceDetections(
  faults: number,
  faMinutesPerHour: number,
  windowSeconds: number,
): number {
  if (!(faMinutesPerHour >= 0) || !(windowSeconds >= 0)) return NaN;
  const p = Math.min(1, faMinutesPerHour / 60);
  const minutes = Math.floor(windowSeconds / 60) + 1;
  return faults * (1 - (1 - p) ** minutes);
}

export function scoreEvents(opts: {
  faults: readonly FaultEvent[];
  alerts: readonly AlertRow[];
  /** Unix seconds: the fault-free period [from, to]. */
  faultFree: { from: number; to: number };
  windowSeconds: number;
  perDeployment: boolean;
}): EventScore {
  const alerts = [...opts.alerts].sort((a, b) => a.t - b.t);
  const times = alerts.map((a) => a.t);
  const firstAtOrAfter = (t: number): number => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const byType: Record<string, [number, number]> = {};
  const lags: number[] = [];
  const perFault: EventScore['perFault'] = [];
  let detected = 0;
  let culprit = 0;
  for (const f of opts.faults) {
    const entry = (byType[f.type] ??= [0, 0]);
    entry[1]++;
    const i = firstAtOrAfter(f.t);
    const hit = i < times.length && (times[i] as number) <= f.t + opts.windowSeconds;
    let own = false;
    for (let k = i; k < times.length && (times[k] as number) <= f.t + opts.windowSeconds; k++) {
      if (alerts[k]!.deployment === f.deployment) own = true;
    }
    if (own) culprit++;
    if (hit) {
      detected++;
      entry[0]++;
      const lag = (times[i] as number) - f.t;
      lags.push(lag);
      perFault.push({
        t: f.t,
        deployment: f.deployment,
        type: f.type,
        detected: true,
        lagSeconds: lag,
      });
    } else
      perFault.push({
        t: f.t,
        deployment: f.deployment,
        type: f.type,
        detected: false,
        lagSeconds: null,
      });
  }
  const minutes = new Set<number>();
  for (const a of alerts) {
    if (a.t >= opts.faultFree.from && a.t <= opts.faultFree.to) minutes.add(Math.floor(a.t / 60));
  }
  const hours = Math.max(0, opts.faultFree.to - opts.faultFree.from) / 3600;
  return {
    faults: opts.faults.length,
    detected,
    culpritDetected: opts.perDeployment ? culprit : null,
    byType,
    lagsSeconds: lags,
    medianLagSeconds: median(lags),
    falseAlarmMinutes: minutes.size,
    faultFreeHours: hours,
    falseAlarmMinutesPerHour: hours > 0 ? minutes.size / hours : NaN,
    chanceDetected: chanceDetections(
      opts.faults.length,
      hours > 0 ? minutes.size / hours : NaN,
      opts.windowSeconds,
    ),
    perFault,
  };
}
