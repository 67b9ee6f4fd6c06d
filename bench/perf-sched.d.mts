// Types of bench/perf-sched.mjs, for the unit test that reads it.
export declare const UNRECORDED: 'unrecorded';

export interface Frame {
  kernel: boolean;
  sym: string;
}

export interface Span {
  cpu: number;
  /** The running task's tid as text, UNRECORDED, or `unrecorded:TID` (a stretch begun by a switch to TID, a task perf saw no event of). */
  key: string;
  from: number;
  to: number;
  /** The task's name while it ran (a thread may rename itself): the name it left the CPU with. */
  comm: string;
}

export interface Schedule {
  spans: Span[];
  /** cpu: the CPU whose queue it waited in (its wakeup's target, or where it was preempted), null when not known. */
  waits: Array<{ from: number; to: number; cpu: number | null }>;
  sleeps: Array<{ from: number; to: number; site: string }>;
  /**
   * pid: the task's process, from an event of its own (undefined when none was read); after: for an
   * `unrecorded:TID` key, TID (tid is then -1).
   */
  tasks: Map<string, { tid: number; comm: string; prio: number; pid: number | undefined; after?: number }>;
  events: number;
}

export declare function siteOf(frames: Frame[]): string;
export declare function parsePerfSched(text: string, mainTid: number): Schedule;
export declare function overlap(a: number, b: number, c: number, d: number): number;
export declare function queuedOnIdle(schedule: Schedule, from: number, to: number): number;
