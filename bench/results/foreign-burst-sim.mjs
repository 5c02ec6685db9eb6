// What to leave another app of the team whose requests come in bursts, under the fake's model
// (tests/support/node/fake-resend.ts, foreignLoad 0.3 of 10/s, pattern even or bursty; a sliding
// one-second window of 10 that does not count refusals, limiters.ts), with our calls 0..50 ms late.
//
// Part 1, a bound: our calls evenly spaced at `rate`/s, no pacer; what the other app's refusals are
// at each pace. Part 2, the feedback the pacer runs: it paces at 10 - leave calls per 1050 ms (the
// 50 ms guard) and re-estimates `leave` from readings (the other app's accepted requests in the
// window at each accepted call of ours, +-1 now and then as our log and the window disagree: 10 %)
// over the last M readings, by one of these rules: median + 1 (the pacer before 2026-12-07's change),
// mean + 1.65 or 2 standard deviations (floored at median + 1). A refused request of the other app is
// not in the window, so the readings under-count it while it is crowded: only the feedback shows
// whether a rule converges to enough. Ratio: our accepted calls per second / 7 (what is left to us).
// Run: node bench/results/foreign-burst-sim.mjs (Math.random, so the third digit moves; ~1 min).
// OUTPUT
const foreignTimes = (pattern, seconds) => {
  const out = [];
  for (let t = 0; t < seconds * 1000; ) {
    t += pattern === 'bursty' ? -333.33 * Math.log(1 - Math.random()) : 333.33 * (0.8 + 0.4 * Math.random());
    out.push(t);
  }
  return out;
};
const pct = (a, b) => (100 * a / b).toFixed(2) + '%';

function evenlyPaced(pattern, rate, J = 50, seconds = 20000) {
  const events = foreignTimes(pattern, seconds).map((t) => [t, 'f']);
  for (let t = 0; t < seconds * 1000; t += 1000 / rate) events.push([t + Math.random() * J, 'o']);
  events.sort((a, b) => a[0] - b[0]);
  const log = []; let head = 0;
  const n = { o: 0, f: 0 }, refused = { o: 0, f: 0 };
  for (const [t, who] of events) {
    while (head < log.length && log[head] <= t - 1000) head++;
    n[who]++;
    if (log.length - head < 10) log.push(t); else refused[who]++;
  }
  return { part: 1, pattern, rate, ratio: ((n.o - refused.o) / seconds / 7).toFixed(3), ours: pct(refused.o, n.o), theirs: pct(refused.f, n.f) };
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const medianPlusOne = (r) => quantile([...r].sort((a, b) => a - b), 0.5) + 1;
const meanPlus = (sds) => (r) => {
  const m = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length);
  return Math.max(medianPlusOne(r.slice(-15)), m + sds * sd);
};
// The same spread read robustly: 1.4826 x the median absolute deviation from the median (an sd for
// normal data) is barely moved by a level change (a few readings at the old level), which an sd is.
const medianPlusMad = (k) => (r) => {
  const s = [...r].sort((a, b) => a - b), med = quantile(s, 0.5);
  const mad = quantile(r.map((x) => Math.abs(x - med)).sort((a, b) => a - b), 0.5);
  return Math.max(medianPlusOne(r.slice(-15)), med + k * 1.4826 * mad);
};
const RULES = { 'median + 1': medianPlusOne, 'mean + 1.65 sd': meanPlus(1.65), 'mean + 2 sd': meanPlus(2), 'median + 2 mad-sd': medianPlusMad(2) };

function feedback(pattern, ruleName, M, J = 50, seconds = 3000) {
  const rule = RULES[ruleName];
  const foreign = foreignTimes(pattern, seconds);
  const log = [], who = []; let head = 0;
  const n = { o: 0, f: 0 }, refused = { o: 0, f: 0 };
  const readings = []; let leave = 0, fi = 0, nextSend = 0; const inflight = [];
  const arrive = (t, w) => {
    while (head < log.length && log[head] <= t - 1000) head++;
    n[w]++;
    if (log.length - head >= 10) { refused[w]++; return; }
    log.push(t); who.push(w);
    if (w !== 'o') return;
    let f = 0; for (let i = head; i < log.length; i++) if (who[i] === 'f') f++;
    readings.push(f + (Math.random() < 0.1 ? (Math.random() < 0.5 ? -1 : 1) : 0));
    if (readings.length > M) readings.shift();
    if (readings.length >= 5) leave = rule(readings.map((x) => Math.max(0, x)));
  };
  for (let t = 0; t < seconds * 1000; t++) {
    for (;;) {
      const nf = fi < foreign.length ? foreign[fi] : Infinity, no = inflight.length ? inflight[0] : Infinity;
      if (Math.min(nf, no) > t) break;
      if (nf <= no) { arrive(nf, 'f'); fi++; } else { arrive(no, 'o'); inflight.shift(); }
    }
    if (t >= nextSend) {
      inflight.push(t + Math.random() * J); inflight.sort((a, b) => a - b);
      nextSend = t + 1050 / Math.max(3, 10 - leave); // never below 30 % of the limit (MIN_OWN_SHARE)
    }
  }
  return { part: 2, pattern, rule: ruleName, M, ratio: ((n.o - refused.o) / seconds / 7).toFixed(3), ours: pct(refused.o, n.o), theirs: pct(refused.f, n.f), leave: leave.toFixed(2) };
}

for (const pattern of ['even', 'bursty']) for (const rate of [3, 4, 4.5, 5, 5.71, 6.2]) console.log(JSON.stringify(evenlyPaced(pattern, rate)));
for (const rule of Object.keys(RULES)) for (const M of [15, 40]) for (const pattern of ['even', 'bursty']) console.log(JSON.stringify(feedback(pattern, rule, M)));
