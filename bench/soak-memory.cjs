// Preload for bench/soak-services.mjs (`node --require bench/soak-memory.cjs dist/cli/main.js …`):
// appends `process.memoryUsage()` as one JSON line to the file NETSNAP_SOAK_MEMORY every
// NETSNAP_SOAK_MEMORY_EVERY seconds (default 5). It does nothing else: no gc() (the heap is read as
// the process leaves it), one fd kept open for the whole run (a constant in the fd count), and its
// timer is unref'd, so it never keeps the process alive. Without NETSNAP_SOAK_MEMORY it does nothing.
'use strict';
const fs = require('node:fs');

const file = process.env.NETSNAP_SOAK_MEMORY;
if (file) {
  const every = Number(process.env.NETSNAP_SOAK_MEMORY_EVERY) || 5;
  const fd = fs.openSync(file, 'a');
  const write = () => {
    const m = process.memoryUsage();
    const line = JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
    try {
      fs.writeSync(fd, `${line}\n`);
    } catch {
      /* the reader went away: nothing to report to */
    }
  };
  write();
  setInterval(write, every * 1000).unref();
}
