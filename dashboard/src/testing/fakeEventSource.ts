import type { EventSourceLike } from '../live/useLive';

/** An in-memory EventSource for hook and component tests: the test opens, fails and feeds it. */
export class FakeEventSource implements EventSourceLike {
  static readonly all: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  onopen: ((ev: Event) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  private readonly listeners = new Map<string, ((ev: MessageEvent<string>) => void)[]>();

  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  static latest(): FakeEventSource {
    const es = FakeEventSource.all.at(-1);
    if (!es) throw new Error('no EventSource was opened');
    return es;
  }
  static reset(): void {
    FakeEventSource.all.length = 0;
  }

  addEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  /** A dropped connection the browser retries (`closed: false`) or gives up on (`closed: true`). */
  fail(closed = false): void {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }
  emit(type: string, data: unknown): void {
    const ev = new MessageEvent<string>(type, {
      data: typeof data === 'string' ? data : JSON.stringify(data),
    });
    for (const l of this.listeners.get(type) ?? []) l(ev);
  }
}

/** A manual timer queue for retry back-off: tests run due timers instead of sleeping. */
export class ManualScheduler {
  private queue: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  readonly schedule = (fn: () => void, ms: number): (() => void) => {
    const item = { fn, ms, cancelled: false };
    this.queue.push(item);
    return () => {
      item.cancelled = true;
    };
  };
  pending(): number[] {
    return this.queue.filter((i) => !i.cancelled).map((i) => i.ms);
  }
  runAll(): void {
    const due = this.queue.filter((i) => !i.cancelled);
    this.queue = [];
    for (const i of due) i.fn();
  }
}
