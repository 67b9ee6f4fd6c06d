// bench/stalls.mjs's reading of a scheduler trace (bench/perf-sched.mjs), on two windows recorded on
// this kind of machine during async samples at 100,000 sockets (fixtures/perf-sched, text of
// `perf script -F pid,tid,cpu,time,event,trace,ip,sym`): the event loop's thread waiting behind a
// task perf cannot see (another PID namespace's, whose own events perf drops), and sleeping on a
// futex in pthread_cond_signal while V8 hands marking work to its helper threads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePerfSched, queuedOnIdle, siteOf, UNRECORDED } from '../../bench/perf-sched.mjs';
import { ROOT } from '../helpers/env';

const trace = (name: string) => fs.readFileSync(path.join(ROOT, 'fixtures', 'perf-sched', `${name}.txt`), 'latin1');
const round = (x: number) => Math.round(x * 1000) / 1000;
const spans = (s: ReturnType<typeof parsePerfSched>) =>
  s.spans.filter((sp) => sp.to > sp.from).map((sp) => `${sp.cpu} ${sp.key} ${sp.from.toFixed(3)}-${sp.to.toFixed(3)}`);

describe('a scheduler trace, read for the event loop thread', () => {
  it('waits behind a task perf cannot see, and the time perf did not record', () => {
    const s = parsePerfSched(trace('window'), 10076);
    expect(s.events).toBe(15);
    // Switched to, never seen running: no event of its own is in the trace, so its process is unknown.
    expect(s.tasks.get('79')).toStrictEqual({ tid: 79, comm: 'tokio-rt-worker', prio: 110, pid: undefined });
    expect(s.tasks.get('10079')?.pid).toBe(10076);
    expect(s.tasks.get(UNRECORDED)).toStrictEqual({ tid: -1, comm: 'unrecorded', prio: 120, pid: undefined });
    // cpu0's stretch began with the switch to 79, never seen itself: it is named by 79. cpu1's began
    // after the idle task or rcu_preempt (seen), so what ran there is not known.
    expect(s.tasks.get(`${UNRECORDED}:79`)).toStrictEqual({ tid: -1, comm: 'tokio-rt-worker', prio: 110, pid: undefined, after: 79 });
    // Woken by the idle CPU's timer, on it 21 µs later; asleep in epoll_pwait until woken from cpu1;
    // then runnable until its first event on cpu0 (the switch onto it is one perf did not record);
    // preempted on cpu0 and next seen running on cpu1.
    expect(s.waits.map((w) => [round(w.from), round(w.to)])).toEqual([
      [1437527.702, 1437527.723],
      [1437528.687, 1437532.661],
      [1437532.711, 1437536.116],
    ]);
    expect(s.sleeps.map((z) => [round(z.from), round(z.to), z.site])).toEqual([[1437527.732, 1437528.687, 'do_epoll_wait ← epoll_pwait']]);
    expect(spans(s)).toEqual([
      '0 0 1437527.702-1437527.723',
      '0 10076 1437527.723-1437527.732',
      '0 0 1437527.732-1437528.656',
      '1 10086 1437528.687-1437528.726',
      '1 unrecorded 1437528.726-1437532.111',
      '0 unrecorded:79 1437528.656-1437532.661',
      '0 10076 1437532.661-1437532.711',
      '1 unrecorded 1437532.111-1437532.731',
      '1 unrecorded 1437532.731-1437536.116',
      '1 10076 1437536.116-1437536.137',
      '1 10079 1437536.137-1437536.141',
    ]);
  });

  it('sleeps on a futex in pthread_cond_signal, with the CPU idle meanwhile', () => {
    const s = parsePerfSched(trace('futex'), 8804);
    expect(s.events).toBe(26);
    expect(s.sleeps.map((z) => [round(z.from), round(z.to), z.site])).toEqual([
      [1089025.254, 1089025.462, 'do_epoll_wait ← epoll_pwait'],
      [1089028.149, 1089035.865, 'futex_do_wait ← pthread_cond_signal'],
    ]);
    // While it slept on the futex (7.7 ms), cpu0 was idle until it ran again there.
    expect(spans(s)).toContain('0 0 1089028.154-1089035.930');
    expect(spans(s)).toContain('0 8804 1089035.930-1089035.970');
    expect(s.waits.map((w) => [round(w.from), round(w.to)])).toEqual([
      [1089025.462, 1089025.986],
      [1089026.043, 1089028.099],
      [1089035.865, 1089035.93],
      [1089035.97, 1089036.11],
    ]);
  });

  it('names where a thread went to sleep: the kernel reason, then its first user frames', () => {
    expect(siteOf([
      { kernel: true, sym: '__schedule' },
      { kernel: true, sym: 'schedule' },
      { kernel: true, sym: 'futex_do_wait' },
      { kernel: true, sym: '__futex_wait' },
      { kernel: true, sym: 'do_syscall_64' },
      { kernel: false, sym: 'pthread_cond_signal@@GLIBC_2.3.2' },
      { kernel: false, sym: 'node::TaskQueue<v8::Task>::Push' },
      { kernel: false, sym: '[unknown]' },
      { kernel: false, sym: 'node::NodePlatform::CallOnWorkerThread(std::unique_ptr<v8::Task>)' },
      { kernel: false, sym: 'v8::platform::DefaultJobState::CallOnWorkerThread' },
    ])).toBe('futex_do_wait ← pthread_cond_signal ← node::TaskQueue<v8::Task>::Push ← node::NodePlatform::CallOnWorkerThread');
    expect(siteOf([])).toBe('?');
  });

  it('knows every task a span names, those running since before the trace began included', () => {
    for (const [name, tid] of [['window', 10076], ['futex', 8804]] as const) {
      const s = parsePerfSched(trace(name), tid);
      for (const sp of s.spans) expect(s.tasks.has(sp.key)).toBe(true);
    }
    // cpu0 runs 7 (first seen in an event of its own, never switched to), then a switch from 9, which
    // nothing showed switched in: 7's time ends at its last event, and the rest is unrecorded.
    const text = [
      '    7/7     [000]  100.000100: sched:sched_waking: comm=node pid=42 prio=120 target_cpu=000',
      '    9/9     [000]  100.002000: sched:sched_switch: prev_comm=kworker/0:1 prev_pid=9 prev_prio=120 prev_state=I ==> next_comm=node next_pid=42 next_prio=120',
      '   42/42    [000]  100.003000: sched:sched_switch: prev_comm=node prev_pid=42 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120',
    ].join('\n');
    const s = parsePerfSched(text, 42);
    expect(s.tasks.get('7')).toStrictEqual({ tid: 7, comm: '?', prio: 120, pid: 7 });
    expect(s.tasks.get('9')).toStrictEqual({ tid: 9, comm: 'kworker/0:1', prio: 120, pid: 9 });
    expect(spans(s)).toEqual(['0 unrecorded 100000.100-100002.000', '0 42 100002.000-100003.000']);
    expect(s.waits.map((w) => [round(w.from), round(w.to)])).toEqual([[100000.1, 100002]]);
    expect(s.sleeps).toEqual([]);
  });

  it('knows the CPU whose queue the thread waited in: where it was preempted, or where its wakeup put it', () => {
    // The recorded window has no sched_wakeup events: its woken waits have no known CPU, its preempted one has cpu0.
    expect(parsePerfSched(trace('window'), 10076).waits.map((w) => w.cpu)).toEqual([null, null, 0]);
    // sched_waking names the CPU the thread last ran on (1); sched_wakeup the one it was put on (0).
    const text = [
      '   50/50    [001]  100.000000: sched:sched_switch: prev_comm=node prev_pid=42 prev_prio=120 prev_state=S ==> next_comm=worker next_pid=50 next_prio=120',
      '    0/0     [000]  100.001000: sched:sched_waking: comm=node pid=42 prio=120 target_cpu=001',
      '    0/0     [000]  100.001002: sched:sched_wakeup: comm=node pid=42 prio=120 target_cpu=000',
      '    0/0     [000]  100.001010: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=node next_pid=42 next_prio=120',
    ].join('\n');
    expect(parsePerfSched(text, 42).waits.map((w) => [round(w.from), round(w.to), w.cpu])).toEqual([[100001, 100001.01, 0]]);
  });

  it('counts the time the thread sat queued on a CPU that ran nothing (the VM\'s host not running it), and no other wait', () => {
    // cpu0 goes idle at 100.000; the thread is woken onto it at 100.001, yet cpu0 records nothing until
    // it switches to the thread at 100.012: 11 ms queued on an idle CPU. Then, preempted on cpu1 by a
    // task that runs until 100.020, it waits 5 ms behind that task: a wait, but not on an idle CPU.
    const text = [
      '   42/42    [000]  100.000000: sched:sched_switch: prev_comm=node prev_pid=42 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120',
      '   50/50    [001]  100.000500: sched:sched_waking: comm=kworker/1:0 pid=60 prio=120 target_cpu=001',
      '    0/0     [000]  100.001000: sched:sched_waking: comm=node pid=42 prio=120 target_cpu=000',
      '    0/0     [000]  100.001001: sched:sched_wakeup: comm=node pid=42 prio=120 target_cpu=000',
      '    0/0     [000]  100.012000: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=node next_pid=42 next_prio=120',
      '   42/42    [000]  100.013000: sched:sched_switch: prev_comm=node prev_pid=42 prev_prio=120 prev_state=R ==> next_comm=hog next_pid=70 next_prio=110',
      '   70/70    [000]  100.018000: sched:sched_switch: prev_comm=hog prev_pid=70 prev_prio=110 prev_state=S ==> next_comm=node next_pid=42 next_prio=120',
    ].join('\n');
    const s = parsePerfSched(text, 42);
    expect(s.waits.map((w) => [round(w.from), round(w.to), w.cpu])).toEqual([[100001, 100012, 0], [100013, 100018, 0]]);
    expect(round(queuedOnIdle(s, 100000, 100020))).toBe(11);
    // Only the part inside the window asked for.
    expect(round(queuedOnIdle(s, 100005, 100015))).toBe(7);
    expect(queuedOnIdle(s, 100013, 100020)).toBe(0);
    // The recorded window: two waits of no known CPU count nothing, and the third waited on cpu0 while it ran another task.
    expect(queuedOnIdle(parsePerfSched(trace('window'), 10076), 0, Infinity)).toBe(0);
  });

  it('names each span as its thread was named when it left the CPU (a libuv thread that took a sample\'s name meanwhile)', () => {
    const text = [
      '    0/0     [001]  200.000000: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=node next_pid=51 next_prio=120',
      '   51/51    [001]  200.004000: sched:sched_switch: prev_comm=netsnap-sample prev_pid=51 prev_prio=120 prev_state=R ==> next_comm=node next_pid=52 next_prio=120',
      '   50/52    [001]  200.005000: sched:sched_switch: prev_comm=node prev_pid=52 prev_prio=120 prev_state=S ==> next_comm=netsnap-sample next_pid=51 next_prio=120',
      '   50/51    [001]  200.009000: sched:sched_switch: prev_comm=node prev_pid=51 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
    ].join('\n');
    const s = parsePerfSched(text, 50);
    expect(s.spans.map((sp) => `${sp.key} ${sp.comm} ${round(sp.from)}-${round(sp.to)}`)).toEqual([
      '0 swapper/1 200000-200000',
      '51 netsnap-sample 200000-200004',
      '52 node 200004-200005',
      '51 node 200005-200009',
    ]);
  });

  it('reads nothing from text that is not a trace, and survives a truncated one', () => {
    expect(parsePerfSched('', 1).events).toBe(0);
    expect(parsePerfSched('not perf output\n\tffff x\n', 1).spans).toEqual([]);
    const cut = trace('window').slice(0, 2000);
    const s = parsePerfSched(cut, 10076);
    expect(s.events).toBeGreaterThan(0);
    expect(s.waits.every((w) => w.to >= w.from)).toBe(true);
  });
});
