// `netsnap serve`: the Prometheus exporter (src/services/exporter.ts) on the command line.
import * as net from 'node:net';
import { startExporter, hostPort } from '../services/exporter';
import { isNetsnapError, NetsnapError, usageError } from '../model/errors';
import { utf8, type Output } from './output';
import { readBaseline } from './baseline';
import type { Baseline } from '../analysis/baseline';
import { countOption, durationOption, filterOption, parseSubArgs, sourceOption, SubcommandError } from './subargs';
import { subcommandSpec } from './options';
import { loadWebConfig, type LoadedWebConfig } from '../services/web_config';

export const SERVE_USAGE = `usage: netsnap serve [--listen ADDR:PORT] [--interval TIME] [--top N] [--no-owners]
                     [--request-timeout TIME] [--proc-root DIR] [--source proc|netlink|auto] [--info] [--cgroup]
                     [--filter EXPR | --filter-file FILE] [--baseline FILE] [--web-config FILE]

A Prometheus exporter of this host's sockets: GET /metrics (text format), GET /healthz.

  --listen ADDR:PORT       where to listen (default 127.0.0.1:9917; [::1]:9917 for IPv6).
                           Any address other than loopback exposes this host's sockets and
                           processes to whoever can reach it: choose it deliberately.
  --interval TIME          sample in the background every TIME (e.g. 500ms, 15s) and serve the
                           latest sample; default: one sample per scrape, shared by the scrapes
                           that arrive while it is taken
  --top N                  series kept in each labelled list (LISTEN sockets, local ports,
                           processes); the rest is summed into one "other" series (default 20)
  --no-owners              do not map sockets to processes (no netsnap_process_sockets)
  --request-timeout TIME   a client has this long to send its request (else 408), and is
                           dropped after twice this long without progress (default 10s)
  --proc-root DIR          read /proc from DIR (default /proc)
  --source proc|netlink|auto  where inet sockets are read from (default auto)
  --cgroup              sockets per container (netsnap_container_sockets), from the owners' cgroups
  --info                tcp_info gauges per service port: RTT p50/p99, retransmitting connections, unsent bytes (native backend)
  --filter EXPR         count only the inet sockets ss's filter EXPR keeps (netsnap's listing takes the
                        same words), e.g. 'sport = :443 or dport = :5432': an exporter scoped to a service
  --filter-file FILE    the filter from FILE (lines joined; # starts a comment)
  --baseline FILE       compare every sample with a baseline saved by netsnap --save-baseline FILE, as
                        --compare does: netsnap_baseline_differences{kind} counts what differs (save it
                        with the exporter running, or its own port is a new listener; a --filter
                        scopes both alike)
  --web-config FILE     TLS, basic auth and response headers from FILE, in the web config format of
                        Prometheus' exporter-toolkit (node_exporter's --web.config.file, also accepted
                        under that name): tls_server_config, basic_auth_users (bcrypt hashes),
                        http_server_config headers. A key netsnap cannot honour stops startup. FILE and
                        the certificates it names are read again when they change and on SIGHUP; a
                        file that no longer loads leaves the config in force (netsnap_web_config_*)
  -h, --help            print this help
`;

// The options come from the one table (options.ts), as do its completions.
const SPEC = subcommandSpec('serve');

/** ADDR:PORT or [ADDR]:PORT, with a literal IP address. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m || net.isIP(m[1]!) === 0 || Number(m[2]) > 65535) {
    throw usageError(`netsnap serve: invalid --listen '${text}' (use ADDR:PORT with an IP address, e.g. 127.0.0.1:9917 or [::1]:9917)`);
  }
  return { host: m[1]!, port: Number(m[2]) };
}

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

export async function runServe(argv: string[], io: Output): Promise<number> {
  // Messages carry file names, commands and arguments as given: UTF-8, not latin1 (see output.ts).
  const say = (text: string) => io.err(utf8(text));
  let listen = { host: '127.0.0.1', port: 9917 };
  let interval: number | null = null;
  let top = 20;
  let requestTimeout = 10;
  let source: 'auto' | 'proc' | 'netlink' = 'auto';
  let procRoot = '/proc';
  let owners = true;
  let info = false;
  let cgroup = false;
  let filter: string | null = null;
  let baseline: { baseline: Baseline; file: string } | undefined;
  let webConfig: LoadedWebConfig | undefined;
  try {
    const { options, positionals, rest } = parseSubArgs('serve', argv, SPEC);
    if (options.has('help')) {
      io.out(SERVE_USAGE);
      return 0;
    }
    if (positionals.length > 0 || rest.length > 0) throw usageError(`netsnap serve: unexpected argument '${[...positionals, ...rest][0]}'`);
    if (options.has('listen')) listen = parseListen(options.get('listen')!);
    if (options.has('interval')) interval = durationOption('serve', 'interval', options.get('interval')!);
    if (options.has('top')) top = countOption('serve', 'top', options.get('top')!, 1, 1_000_000);
    if (options.has('request-timeout')) requestTimeout = durationOption('serve', 'request-timeout', options.get('request-timeout')!);
    if (options.has('source')) source = sourceOption('serve', options.get('source')!);
    if (options.has('proc-root')) procRoot = options.get('proc-root')! || '/proc';
    owners = !options.has('no-owners');
    info = options.has('info');
    cgroup = options.has('cgroup');
    filter = filterOption('serve', options);
    if (options.has('baseline')) {
      const file = options.get('baseline')!;
      if (file === '') throw usageError('netsnap serve: --baseline needs a file');
      // Read before listening: a bad baseline stops startup, as a bad filter file does.
      const r = readBaseline(file);
      if (typeof r === 'string') throw new SubcommandError(`netsnap serve: ${r}`, 2);
      baseline = { baseline: r, file };
    }
    if (options.has('web-config') && options.has('web.config.file')) throw usageError('netsnap serve: --web-config and --web.config.file are one option: give it once');
    const webFile = options.get('web-config') ?? options.get('web.config.file');
    if (webFile !== undefined) {
      if (webFile === '') throw usageError('netsnap serve: --web-config needs a file');
      // Read before listening: a key netsnap cannot honour, or a bad field, stops startup.
      try {
        webConfig = loadWebConfig(webFile);
      } catch (err) {
        if (isNetsnapError(err, 'ERR_BAD_FILE')) throw new SubcommandError(`netsnap serve: ${err.message}`, 2);
        throw err;
      }
    }
  } catch (err) {
    if (err instanceof SubcommandError) {
      say(`${err.message}\n`);
      return err.exitStatus;
    }
    if (!isNetsnapError(err, 'ERR_USAGE')) throw err;
    say(`${err.message}\n${SERVE_USAGE}`);
    return 2;
  }

  let exporter;
  try {
    exporter = await startExporter({
      host: listen.host, port: listen.port, interval, top, owners, procRoot, source, info, cgroup, requestTimeoutMs: requestTimeout * 1000,
      ...(filter === null ? {} : { filter }),
      ...(baseline === undefined ? {} : { baseline }),
      ...(webConfig === undefined ? {} : {
        webConfig,
        onWebConfigReload: (error: string | null) => say(error === null
          ? `netsnap serve: web config ${webConfig!.file} reloaded\n`
          : `netsnap serve: the web config in force is kept: ${error}\n`),
      }),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof NetsnapError || err instanceof TypeError) throw err;
    say(`netsnap serve: cannot listen on ${hostPort(listen.host, listen.port)}: ${e.code ?? e.message}\n`);
    return 1;
  }
  if (!isLoopback(listen.host)) {
    say(`netsnap serve: listening beyond loopback (${listen.host}): whoever reaches this port sees this host's sockets and processes\n`);
  }
  say(`netsnap: serving metrics on ${exporter.tls ? 'https' : 'http'}://${hostPort(exporter.host, exporter.port)}/metrics\n`);
  const served = exporter;
  // SIGHUP reads the web config again (without one it ends the process, as before).
  const hup = () => {
    served.reloadWebConfig();
  };
  if (webConfig) process.on('SIGHUP', hup);
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', hup);
      say(`netsnap serve: ${signal}, stopping\n`);
      served.close().then(() => resolve(0), () => resolve(1));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
