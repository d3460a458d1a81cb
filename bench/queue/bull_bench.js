// BullMQ side of bench/queue/compare (needs bullmq and ioredis in NODE_PATH or ./node_modules).
//
//   node bull_bench.js PORT N            throughput: N no-op jobs pre-filled with addBulk (1000 a
//                                        call, removeOnComplete), then drained by one Worker with
//                                        concurrency 50; prints "bullmq: X jobs/s". The same shape
//                                        as the acceptance check's script: the prefill is not timed.
//   node bull_bench.js PORT N RATE       latency: one producer adds N jobs at RATE jobs/s while the
//                                        worker runs; per job, time from just before add() to the
//                                        worker's 'completed' event (the job is recorded as done in
//                                        Redis); prints "bullmq at RATE jobs/s: enqueue->complete
//                                        p50 X ms, p99 Y ms".
const { Queue, Worker } = require('bullmq');
const port = +process.argv[2], N = +process.argv[3], rate = +(process.argv[4] || 0);
const connection = { host: '127.0.0.1', port };
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (v, p) => { v.sort((a, b) => a - b); return v[Math.min(v.length - 1, Math.floor(p / 100 * v.length))]; };

(async () => {
  const name = 'bench' + Date.now();
  const q = new Queue(name, { connection });
  let done = 0;
  if (!rate) {
    for (let b = 0; b < N; b += 1000) {
      const a = []; for (let i = b; i < Math.min(N, b + 1000); i++) a.push({ name: 'noop', data: { i }, opts: { removeOnComplete: true } });
      await q.addBulk(a);
    }
    const t0 = Date.now();
    await new Promise((resolve) => {
      const w = new Worker(name, async (j) => j.data, { connection, concurrency: 50 });
      w.on('completed', () => { if (++done === N) { const dt = (Date.now() - t0) / 1000; console.log(`bullmq: ${(N / dt).toFixed(0)} jobs/s`); w.close().then(resolve); } });
    });
  } else {
    const lat = [];
    await new Promise((resolve) => {
      const w = new Worker(name, async (j) => j.data, { connection, concurrency: 50 });
      w.on('completed', (j) => { lat.push(nowMs() - j.data.t); if (++done === N) w.close().then(resolve); });
      w.waitUntilReady().then(async () => {
        const start = nowMs();
        for (let i = 0; i < N; i++) {
          const wait = start + i * 1000 / rate - nowMs();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await q.add('noop', { t: nowMs() }, { removeOnComplete: true });
        }
      });
    });
    console.log(`bullmq at ${rate} jobs/s (${N} jobs): enqueue->complete p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`);
  }
  await q.obliterate({ force: true }).catch(() => {}); await q.close(); process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
