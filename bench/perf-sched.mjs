// Reads a `perf record -k mono -g -a -e sched:sched_switch -e sched:sched_waking [-e sched:sched_wakeup]` trace (as text from
// `perf script -F pid,tid,cpu,time,event,trace,ip,sym`) into what bench/stalls.mjs needs: who ran on
// each CPU when, and when one thread (the event loop's) waited for a CPU or slept, and where. Times
// are ms of CLOCK_MONOTONIC (perf's clock with -k mono). Pure: test/unit/perf-sched.test.ts reads a
// trace recorded on this kind of machine (fixtures/perf-sched).

const SWITCH = /prev_comm=(.*) prev_pid=(\d+) prev_prio=(\d+) prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=(\d+)/;
const WAKING = /comm=(.*) pid=(\d+) prio=(\d+) target_cpu=(\d+)/;
const LINE = /^\s*(-?\d+)\/(-?\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_switch|sched_waking|sched_wakeup):\s+(.*)$/;

export const UNRECORDED = 'unrecorded';

/** How long [a, b] and [c, d] share, 0 when they do not meet. */
export const overlap = (a, b, c, d) => Math.max(0, Math.min(b, d) - Math.max(a, c));
const KERNEL_FRAME = /^\s+(ffffffff[0-9a-f]+)\s+(\S+)/;
const FRAME = /^\s+([0-9a-f]+)\s+(.+)$/;

/** Where a switch-out's call chain went to sleep: the kernel's reason, then the first user frames. */
export function siteOf(frames) {
  const kernel = frames.filter((f) => f.kernel).map((f) => f.sym);
  const reason = kernel.find((k) => !/^(__schedule|schedule|schedule_\w+|io_schedule\w*)$/.test(k)) ?? '?';
  const user = frames.filter((f) => !f.kernel && f.sym !== '[unknown]').slice(0, 3).map((f) => f.sym.replace(/\(.*$/, '').replace(/@@GLIBC.*$/, ''));
  return [reason, ...user].join(' ← ');
}

/**
 * From the text of `perf script` over the trace: every CPU's spans of running tasks ({ cpu, key,
 * from, to, comm }, key the tid as text, or UNRECORDED for a stretch perf did not see, `UNRECORDED:TID` for
 * one that began with a switch to TID, a task perf saw no event of); the main thread's
 * spans runnable but not on a CPU (from its wakeup or its preemption until it is seen running); its
 * sleeps (from a switch-out asleep to its wakeup), each with where it went to sleep (siteOf its call
 * chain); the tasks by key ({ tid, comm, prio, pid }: pid, the process, once an event of the task's
 * own was read, else undefined); and how many events were read.
 */
export function parsePerfSched(text, mainTid) {
  const running = new Map(); // cpu -> { key, since, comm }
  const lastSeen = new Map(); // cpu -> time of its last event
  const spans = []; // { cpu, key, from, to, comm }
  const waits = []; // { from, to, cpu }: the main thread runnable, not running, queued on cpu (null: not known)
  const sleeps = []; // { from, to, site }: the main thread asleep
  const tasks = new Map(); // key (the tid as text) -> { tid, comm, prio, pid }
  let runnableSince = null;
  let runnableCpu = null; // the CPU whose queue it waits in: woken onto (sched_wakeup's target) or preempted on
  let asleep = null; // { from, frames }
  let frames = null; // the call chain being read, when it belongs to the main thread's switch-out
  let events = 0;
  for (const line of text.split('\n')) {
    if (frames !== null) {
      const f = FRAME.exec(line);
      if (f) {
        frames.push({ kernel: KERNEL_FRAME.test(line), sym: f[2].trim() });
        continue;
      }
      frames = null;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    events++;
    const cpu = Number(m[3]);
    const t = Number(m[4]) * 1000;
    // perf drops every event whose current task it cannot see (one in another PID namespace): a
    // switch away from such a task is missing. An event on this CPU from a task other than the one
    // last switched in shows it; the time since the CPU's last event is then unknown ("unrecorded").
    const curTid = m[2];
    const s = m[5] === 'sched_switch' ? SWITCH.exec(m[6]) : null;
    // The current task: known from a switch onto it, or first seen here (running since before the
    // trace began, or switched to unrecorded); a switch away from it names it.
    let known = tasks.get(curTid);
    if (!known) tasks.set(curTid, (known = { tid: Number(curTid), comm: s ? s[1] : '?', prio: s ? Number(s[3]) : 120, pid: undefined }));
    else if (known.comm === '?' && s) Object.assign(known, { comm: s[1], prio: Number(s[3]) });
    if (known.pid === undefined) known.pid = Number(m[1]);
    const cur0 = running.get(cpu);
    if (!cur0) running.set(cpu, { key: curTid, since: t, comm: s ? s[1] : known.comm }); // the CPU's first event: running since then
    else if (cur0.key !== curTid) {
      const seen = lastSeen.get(cpu) ?? cur0.since;
      spans.push({ cpu, key: cur0.key, from: cur0.since, to: seen, comm: cur0.comm });
      spans.push({ cpu, key: UNRECORDED, from: seen, to: t, after: cur0.key, comm: 'unrecorded' });
      running.set(cpu, { key: curTid, since: t, comm: s ? s[1] : known.comm });
      if (curTid === String(mainTid)) {
        if (runnableSince !== null) waits.push({ from: runnableSince, to: t, cpu: runnableCpu });
        runnableSince = null;
        asleep = null; // woken unseen: when is not known
      }
    }
    lastSeen.set(cpu, t);
    if (m[5] === 'sched_wakeup') {
      // After the wakeup chose its CPU (sched_waking's target_cpu is the CPU it last ran on).
      const w = WAKING.exec(m[6]);
      if (w && Number(w[2]) === mainTid && runnableSince !== null) runnableCpu = Number(w[4]);
      continue;
    }
    if (m[5] === 'sched_waking') {
      const w = WAKING.exec(m[6]);
      if (w && Number(w[2]) === mainTid) {
        if (runnableSince === null) {
          runnableSince = t;
          runnableCpu = null;
        }
        if (asleep !== null) sleeps.push({ from: asleep.from, to: t, site: siteOf(asleep.frames) });
        asleep = null;
      }
      continue;
    }
    if (!s) continue;
    const [, , prevPid, , prevState, nextComm, nextPid, nextPrio] = s;
    const cur = running.get(cpu);
    // The span's name is the one its task had when it left the CPU (a thread may rename itself).
    if (cur) spans.push({ cpu, key: cur.key, from: cur.since, to: t, comm: cur.key === s[2] ? s[1] : cur.comm });
    if (!tasks.has(nextPid)) tasks.set(nextPid, { tid: Number(nextPid), comm: nextComm, prio: Number(nextPrio), pid: undefined });
    running.set(cpu, { key: nextPid, since: t, comm: nextComm });
    if (Number(prevPid) === mainTid) {
      runnableSince = prevState.startsWith('R') ? t : null; // preempted: still runnable
      runnableCpu = runnableSince !== null ? cpu : null;
      if (!prevState.startsWith('R')) {
        asleep = { from: t, frames: [] };
        frames = asleep.frames;
      }
    }
    if (Number(nextPid) === mainTid) {
      if (runnableSince !== null) waits.push({ from: runnableSince, to: t, cpu: runnableCpu });
      runnableSince = null;
      asleep = null; // still set: its wakeup was not recorded, so when it ended is not known
    }
  }
  tasks.set(UNRECORDED, { tid: -1, comm: 'unrecorded', prio: 120, pid: undefined });
  // An unrecorded stretch that began with a switch to a task perf never saw an event of (not the
  // idle task) began with that task running: it is named (`unrecorded:TID`, its comm and prio). After
  // a task perf did see, what ran is not known.
  for (const sp of spans) {
    if (sp.key !== UNRECORDED) continue;
    const first = tasks.get(sp.after);
    delete sp.after;
    if (!first || first.tid === 0 || first.pid !== undefined) continue;
    sp.key = `${UNRECORDED}:${first.tid}`;
    sp.comm = first.comm;
    if (!tasks.has(sp.key)) tasks.set(sp.key, { tid: -1, comm: first.comm, prio: first.prio, pid: undefined, after: first.tid });
  }
  return { spans, waits, sleeps, tasks, events };
}

/**
 * Of the main thread's waits within [from, to] (ms), the time it sat in the queue of a CPU (the one its
 * wakeup chose, or the one it was preempted on) while that CPU ran the idle task. A guest's idle CPU
 * runs a task woken onto it within microseconds; one that stays idle with a task queued is a CPU the
 * VM's host is not running. Waits whose CPU is not known (no sched_wakeup recorded) count nothing.
 */
export function queuedOnIdle(schedule, from, to) {
  let total = 0;
  for (const w of schedule.waits) {
    if (w.cpu === null || w.cpu === undefined) continue;
    const a = Math.max(from, w.from);
    const b = Math.min(to, w.to);
    if (b <= a) continue;
    for (const sp of schedule.spans) {
      if (sp.cpu === w.cpu && sp.key === '0') total += overlap(a, b, sp.from, sp.to);
    }
  }
  return total;
}
