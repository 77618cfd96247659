/**
 * The same heavy read asked for by several people at about the same moment (a year's dashboard
 * opened by the whole board during a meeting, say) is done once for all of them, and never gives
 * anyone figures older than their request:
 *
 * - a request joins a run only while that run is waiting to start; the run waits `gatherMs` after
 *   its first request before it starts reading, for others to join;
 * - a request that comes while a run is reading waits for the next run, which starts as soon as
 *   that one finishes;
 * - a failed run fails every request that joined it, as each would have failed alone.
 *
 * So every answer was read after its request came, exactly as if each had been read on its own;
 * requests for different keys (another period, another day) never share. Per instance, in memory:
 * nothing is kept once a run has answered.
 */
interface Pending<V> {
  promise: Promise<V>;
  resolve: (v: V) => void;
  reject: (err: unknown) => void;
  work: () => Promise<V>;
}

interface KeyState<V> {
  reading: boolean;
  pending: Pending<V> | null;
}

export class SharedRuns<V> {
  private readonly keys = new Map<string, KeyState<V>>();

  constructor(private readonly gatherMs = 10) {}

  run(key: string, work: () => Promise<V>): Promise<V> {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { reading: false, pending: null }));
    if (state.pending) return state.pending.promise;
    let resolve!: (v: V) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<V>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    state.pending = { promise, resolve, reject, work };
    if (!state.reading) this.schedule(key, state, this.gatherMs);
    return promise;
  }

  /** How many keys have a run waiting or reading (for tests). */
  get active(): number {
    return this.keys.size;
  }

  private schedule(key: string, state: KeyState<V>, delayMs: number) {
    const start = () => void this.start(key, state);
    if (delayMs > 0) setTimeout(start, delayMs);
    else setImmediate(start);
  }

  private async start(key: string, state: KeyState<V>) {
    const run = state.pending!;
    state.pending = null;
    state.reading = true;
    try {
      run.resolve(await run.work());
    } catch (err) {
      run.reject(err);
    } finally {
      state.reading = false;
      // Requests that came while this run read have waited long enough: their run starts now.
      if (state.pending) this.schedule(key, state, 0);
      else this.keys.delete(key);
    }
  }
}
