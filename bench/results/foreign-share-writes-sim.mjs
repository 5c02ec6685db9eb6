// How often the pacer rewrites the other apps' share (foreign_rate) on the pacer row: the share is
// max(median of the last 15 readings + 1, mean + 2 sd of the last 40), written when it moved >= step.
// Readings: a Poisson count of mean 3 (bursty app) or 3 with +-1 on 10 % (even app).
// Run: node bench/results/foreign-share-writes-sim.mjs. Output on 2026-12-07, 03:30 UTC:
//   bursty 0.2 0.142 writes per answer
//   bursty 0.5 0.045 writes per answer
//   even 0.2 0.000 writes per answer
//   even 0.5 0.000 writes per answer
// count writes of leave with step 0.2 and 0.5, for readings from Poisson(3) (bursty) and 3±noise (even)
function pois(l){let L=Math.exp(-l),k=0,p=1;do{k++;p*=Math.random()}while(p>L);return k-1;}
for (const [name, gen] of [['bursty',()=>pois(3)],['even',()=>3+(Math.random()<0.1?(Math.random()<0.5?-1:1):0)]]) {
  for (const step of [0.2, 0.5]) {
    const r=[]; let last=0, writes=0, n=6000;
    for (let i=0;i<n;i++){ r.push(gen()); if(r.length>40) r.shift();
      const s15=r.slice(-15).sort((a,b)=>a-b), med=s15[Math.floor(s15.length/2)];
      const m=r.reduce((a,b)=>a+b,0)/r.length, sd=Math.sqrt(r.reduce((a,b)=>a+(b-m)**2,0)/r.length);
      const leave=Math.max(med+1, m+2*sd);
      if (Math.abs(leave-last)>=step){writes++; last=leave;} }
    console.log(name, step, (writes/n).toFixed(3), 'writes per answer');
  }
}
