// The main thread's scheduler statistics (/proc/self/task/PID/schedstat): time on a CPU and time
// runnable in the run queue (waiting for a CPU), in ms, to split an event-loop stall into the two.
import * as fs from 'node:fs';

const schedFd = (() => {
  try {
    return fs.openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return null;
  }
})();
const schedBuf = Buffer.alloc(128);

/** { run, wait } ms so far for the main thread, or null where schedstat cannot be read. */
export function sched() {
  if (schedFd === null) return null;
  try {
    const n = fs.readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
    const [run, wait] = schedBuf.toString('latin1', 0, n).split(' ').map(Number);
    return { run: run / 1e6, wait: wait / 1e6 };
  } catch {
    return null;
  }
}
