// `netsnap record`: the recorder service (src/services/recorder.ts) into a record-v1 NDJSON file,
// for a duration, until a command it runs exits, or until a signal. Each line reaches the file
// with one write() as soon as it exists, so whatever stops the recorder leaves a valid file behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { startRecorder, type Recorder } from '../services/recorder';
import { isNetsnapError, usageError } from '../model/errors';
import { utf8, type Output } from './output';
import { countOption, durationOption, filterOption, parseSubArgs, sourceOption, SubcommandError } from './subargs';
import { subcommandSpec } from './options';

export const RECORD_USAGE = `usage: netsnap record --out FILE [--interval TIME] [--duration TIME] [--top N] [--no-owners]
                      [--proc-root DIR] [--source proc|netlink|auto] [--info] [--filter EXPR | --filter-file FILE]
                      [-- COMMAND [ARG ...]]

Samples this host's sockets every TIME and appends one JSON summary per sample to FILE (NDJSON):
counts by protocol, family and state, queue bytes, LISTEN accept queues, the busiest local ports
and processes, and the TCP/UDP counters of -s. Stops when the duration is over, when COMMAND
exits (its exit status becomes netsnap's), or on Ctrl-C; the file is valid at every moment.
Turn it into a page with: netsnap report FILE

  -o, --out FILE        the file to write (replaced); - for stdout
  --interval TIME       time between samples: 100ms, 0.5s, 2 (default 250ms)
  --duration TIME       stop after TIME (e.g. 30s, 90)
  --top N               entries in each per-listener, per-port and per-process list (default 10)
  --no-owners           do not map sockets to processes (no per-process series; cheaper)
  --proc-root DIR       read /proc from DIR (default /proc)
  --source proc|netlink|auto  where inet sockets are read from (default auto)
  --info                tcp_info RTT percentiles and retransmitting connections per sample (native backend)
  --filter EXPR         record only the inet sockets ss's filter EXPR keeps, e.g. 'sport = :8080'
  --filter-file FILE    the filter from FILE (lines joined; # starts a comment)
  -h, --help            print this help
`;

// The options come from the one table (options.ts), as do its completions.
const SPEC = subcommandSpec('record');

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function exitStatus(signal: string | null): number {
  return 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0);
}

interface Settings {
  out: string;
  interval: number;
  duration: number | null;
  top: number;
  owners: boolean;
  procRoot: string;
  source: 'auto' | 'proc' | 'netlink';
  info: boolean;
  filter: string | null;
  command: string[] | null;
}

function settings(argv: string[]): Settings | 'help' {
  const { options, positionals, rest } = parseSubArgs('record', argv, SPEC);
  if (options.has('help')) return 'help';
  if (positionals.length > 0) throw usageError(`netsnap record: unexpected argument '${positionals[0]}' (a command goes after --)`);
  const out = options.get('out');
  if (!out) throw usageError('netsnap record: --out FILE is required');
  return {
    out,
    interval: options.has('interval') ? durationOption('record', 'interval', options.get('interval')!) : 0.25,
    duration: options.has('duration') ? durationOption('record', 'duration', options.get('duration')!) : null,
    top: options.has('top') ? countOption('record', 'top', options.get('top')!, 1, 1_000_000) : 10,
    owners: !options.has('no-owners'),
    procRoot: options.get('proc-root') || '/proc',
    source: options.has('source') ? sourceOption('record', options.get('source')!) : 'auto',
    info: options.has('info'),
    filter: filterOption('record', options),
    command: rest.length > 0 ? rest : null,
  };
}

/** Writes all of `text` with as few write() calls as the kernel allows (one, for a regular file). */
function writeLine(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

export async function runRecord(argv: string[], io: Output): Promise<number> {
  // Messages carry file names, commands and arguments as given: UTF-8, not latin1 (see output.ts).
  const say = (text: string) => io.err(utf8(text));
  let s: Settings;
  try {
    const parsed = settings(argv);
    if (parsed === 'help') {
      io.out(RECORD_USAGE);
      return 0;
    }
    s = parsed;
  } catch (err) {
    if (err instanceof SubcommandError) {
      say(`${err.message}\n`);
      return err.exitStatus;
    }
    if (!isNetsnapError(err, 'ERR_USAGE')) throw err;
    say(`${err.message}\n${RECORD_USAGE}`);
    return 2;
  }

  // Options the sampler rejects (a missing --proc-root, say) fail before anything is written; the
  // file is opened for the start line.
  let fd = -1;
  let openError: NodeJS.ErrnoException | null = null;
  let recorder: Recorder;
  try {
    recorder = startRecorder({
      interval: s.interval, duration: s.duration, top: s.top, owners: s.owners, procRoot: s.procRoot, source: s.source, info: s.info,
      ...(s.filter === null ? {} : { filter: s.filter }), command: s.command,
      write: (line) => {
        if (fd < 0) {
          try {
            fd = s.out === '-' ? 1 : fs.openSync(s.out, 'w');
          } catch (err) {
            openError = err as NodeJS.ErrnoException;
            throw err;
          }
        }
        writeLine(fd, `${JSON.stringify(line)}\n`);
      },
    });
  } catch (err) {
    const e = openError as NodeJS.ErrnoException | null; // set by write(), which TypeScript cannot see
    if (e === null) throw err;
    say(`netsnap record: cannot write ${s.out}: ${e.code ?? e.message}\n`);
    return 1;
  }
  const writeEnd = () => {
    try {
      writeLine(fd, `${JSON.stringify(recorder.endLine())}\n`);
      fs.fsyncSync(fd);
    } catch (err) {
      // A pipe or a terminal cannot be fsync()ed (EINVAL); a reader that went away (EPIPE) or a
      // full disk is reported, and the lines written so far stay valid.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP') say(`netsnap record: cannot finish ${s.out}: ${code ?? (err as Error).message}\n`);
    }
    if (fd !== 1) fs.closeSync(fd);
  };

  let child: ChildProcess | null = null;
  let childExited: Promise<void> = Promise.resolve();
  if (s.command) {
    const c = spawn(s.command[0]!, s.command.slice(1), { stdio: 'inherit' });
    child = c;
    childExited = new Promise<void>((resolve) => {
      c.on('error', (err: NodeJS.ErrnoException) => {
        recorder.stop({ reason: 'error', exitCode: null, signal: null, message: `cannot run ${s.command![0]}: ${err.code ?? err.message}` });
        resolve();
      });
      c.on('exit', (code, signal) => {
        // The state the command left behind (its closed connections in TIME_WAIT, say) belongs
        // in the recording: a sample from after it ended.
        recorder.stop({ reason: 'command', exitCode: code, signal }, { sampleAfter: Date.now() });
        resolve();
      });
    });
  }

  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    recorder.stop({ reason: 'signal', exitCode: null, signal });
    if (signalled > 1) {
      // A second Ctrl-C: no more waiting for the command, but the file still gets its end line.
      child?.kill('SIGKILL');
      writeEnd();
      process.exit(exitStatus(signal));
    }
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);

  say(`netsnap record: sampling every ${s.interval * 1000}ms into ${s.out}${s.command ? ` while ${s.command.join(' ')} runs` : ''}${s.duration ? ` for ${s.duration}s` : ''}; Ctrl-C stops\n`);
  const final = await recorder.done;
  // Stopped by the duration, a signal or an error while the command still runs: ask it to stop,
  // then insist. After Ctrl-C it gets a moment first: a terminal sent it the same signal.
  if (child && child.exitCode === null && child.signalCode === null) {
    const running = child;
    const alive = () => running.exitCode === null && running.signalCode === null;
    const grace = (ms: number) => Promise.race([childExited, new Promise((r) => setTimeout(r, ms).unref())]);
    if (final.reason === 'signal') await grace(1000);
    if (alive()) running.kill(final.reason === 'signal' ? (final.signal as NodeJS.Signals) : 'SIGTERM');
    await grace(2000);
    if (alive()) running.kill('SIGKILL');
    await childExited;
  }
  for (const sig of SIGNALS) process.off(sig, onSignal);
  writeEnd();
  say(`netsnap record: ${recorder.samples} sample${recorder.samples === 1 ? '' : 's'} in ${s.out} (${final.reason}${final.message ? `: ${final.message}` : ''})\n`);
  switch (final.reason) {
    case 'duration': return 0;
    case 'error': return final.message?.startsWith('cannot run') ? 127 : 1;
    case 'signal': return exitStatus(final.signal);
    case 'command': return final.exitCode ?? exitStatus(final.signal);
  }
}
