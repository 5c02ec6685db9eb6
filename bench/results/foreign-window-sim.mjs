// How often the fake's other app (foreignLoad 0.3 of 10/s: a request every 333 ms × U(0.8, 1.2),
// tests/support/node/fake-resend.ts) has 4 requests in a sliding second. Run: node bench/results/foreign-window-sim.mjs
// Output on 2026-12-06 (Math.random, so the third digit moves):
//   share of instants whose last second holds >= 4 of its requests: 0.079
//   share of its requests with 3 others in the second before: 0.496
const arrivals = [];
for (let t = 0; t < 1e7; ) arrivals.push((t += 333.33 * (0.8 + 0.4 * Math.random())));
let full = 0;
const probes = 200_000;
for (let i = 0; i < probes; i++) {
  const at = 1000 + Math.random() * (1e7 - 2000);
  let lo = 0, hi = arrivals.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arrivals[mid] <= at - 1000) lo = mid + 1; else hi = mid; }
  let count = 0;
  for (let k = lo; k < arrivals.length && arrivals[k] <= at; k++) count++;
  if (count >= 4) full++;
}
let fourth = 0;
for (let i = 3; i < arrivals.length; i++) if (arrivals[i] - arrivals[i - 3] < 1000) fourth++;
console.log('share of instants whose last second holds >= 4 of its requests:', (full / probes).toFixed(3));
console.log('share of its requests with 3 others in the second before:', (fourth / (arrivals.length - 3)).toFixed(3));
