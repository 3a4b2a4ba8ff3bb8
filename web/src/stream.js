// One WebSocket for the whole page. Views say what they show (server-side filters); the stream reconnects
// with backoff and resumes from the last seq it saw, so nothing the hub still holds is missed.

const MIN_DELAY = 500;
const MAX_DELAY = 15000;

export class EventStream {
  constructor() {
    this.filter = { runner_id: [], symbol: [], type: [] };
    this.listeners = new Set();
    this.statusListeners = new Set();
    this.lastSeq = 0;
    this.delay = MIN_DELAY;
    this.socket = null;
    this.status = "connecting";
    this.rateSamples = [];
  }

  /** Calls fn(tag, payload) for every event; returns an unsubscribe function. */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn) {
    this.statusListeners.add(fn);
    fn(this.status, this);
    return () => this.statusListeners.delete(fn);
  }

  /** Replaces the server-side filter; empty lists mean "any". */
  setFilter(filter) {
    this.filter = { runner_id: [], symbol: [], type: [], ...filter };
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ filter: this.filter }));
  }

  connect() {
    const params = new URLSearchParams();
    for (const key of ["runner_id", "symbol", "type"]) for (const value of this.filter[key]) params.append(key, value);
    if (this.lastSeq > 0) params.set("since", String(this.lastSeq));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws?${params}`);
    this.socket = socket;
    this.setStatus(this.lastSeq > 0 ? "reconnecting" : "connecting");
    socket.onopen = () => {
      this.delay = MIN_DELAY;
      this.setStatus("live");
      // The filter may have changed while the socket was opening.
      socket.send(JSON.stringify({ filter: this.filter }));
    };
    socket.onmessage = (message) => this.dispatch(message.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      // 1008: the server ended the stream because its key or session no longer holds; reconnecting would not help.
      if (event.code === 1008 && this.onRefused) {
        this.socket = null;
        this.onRefused();
        return;
      }
      const wait = Math.min(MAX_DELAY, this.delay) * (0.8 + Math.random() * 0.4);
      this.delay = Math.min(MAX_DELAY, this.delay * 2);
      this.setStatus("offline", Math.round(wait / 1000));
      this.retry = setTimeout(() => this.connect(), wait);
    };
  }

  /** Reconnects at once instead of after the pause (the "Retry now" button), with the pause starting small again. */
  retryNow() {
    if (this.status !== "offline") return;
    clearTimeout(this.retry);
    this.delay = MIN_DELAY;
    this.connect();
  }

  /** Closes the socket and stops reconnecting (logged out). */
  disconnect() {
    clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.setStatus("logged out");
  }

  dispatch(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const tag = Object.keys(message)[0];
    const payload = message[tag];
    // A last_seq below what we saw means the server restarted (seq starts again at 1): forget the old seq,
    // and let the views reload, as after a Lagged notice (events were lost).
    if ((tag === "Subscribed" || tag === "Heartbeat") && typeof payload.last_seq === "number" && payload.last_seq < this.lastSeq) {
      this.lastSeq = payload.last_seq;
      this.rateSamples = [];
      this.emit("Resync", { reason: "server restarted" });
    }
    if (tag === "Lagged") this.emit("Resync", { reason: `missed ${payload.dropped} events` });
    if (typeof payload?.seq === "number") {
      this.lastSeq = Math.max(this.lastSeq, payload.seq);
      this.sampleRate(payload.seq);
    }
    if (tag === "Heartbeat") this.sampleRate(payload.last_seq);
    this.emit(tag, payload);
  }

  emit(tag, payload) {
    for (const fn of this.listeners) {
      try {
        fn(tag, payload);
      } catch (e) {
        console.warn("event handler failed", e);
      }
    }
  }

  // seq is engine-wide, so its growth is the engine's event rate whatever this page filters.
  sampleRate(seq) {
    const now = performance.now();
    this.rateSamples.push([now, seq]);
    while (this.rateSamples.length > 2 && now - this.rateSamples[0][0] > 10000) this.rateSamples.shift();
  }

  eventsPerSecond() {
    const samples = this.rateSamples;
    if (samples.length < 2) return null;
    const [t0, s0] = samples[0];
    const [t1, s1] = samples[samples.length - 1];
    return t1 > t0 ? ((s1 - s0) * 1000) / (t1 - t0) : null;
  }

  setStatus(status, retryIn) {
    this.status = status;
    this.retryIn = retryIn;
    for (const fn of this.statusListeners) fn(status, this);
  }
}

export const stream = new EventStream();
