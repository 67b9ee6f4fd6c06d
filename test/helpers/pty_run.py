# Runs a command in a pseudo-terminal of a given size (Node has no pty module): the command's
# terminal output (stdout and stderr) comes out on this process's stdout as it is, byte for byte.
# This process's stdin is a control channel, one JSON object per line:
#   {"write": "g"}              bytes (latin1) to the terminal, as if typed
#   {"resize": [rows, cols]}    a new window size (the kernel sends the command SIGWINCH)
# Exits with the command's exit status (128 + N when killed by signal N). The command is killed
# after --timeout seconds (default 60) and when stdin closes with the command still running.
#
# usage: python3 pty_run.py ROWS COLS [--timeout S] -- CMD ARGS...
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

args = sys.argv[1:]
rows, cols = int(args[0]), int(args[1])
timeout = 60.0
if args[2] == "--timeout":
    timeout = float(args[3])
    args = args[4:]
else:
    args = args[2:]
if args[0] == "--":
    args = args[1:]


def set_size(fd, r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))


pid, master = pty.fork()
if pid == 0:
    # The child: a new session whose controlling terminal is the pty's slave (stdin, out, err).
    set_size(1, rows, cols)
    try:
        os.execvp(args[0], args)
    finally:
        os._exit(127)

deadline = time.monotonic() + timeout
control = b""
stdin_open = True
status = None
out = sys.stdout.buffer


def kill():
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


while True:
    left = deadline - time.monotonic()
    if left <= 0:
        sys.stderr.write("pty_run.py: timeout, killing the command\n")
        kill()
        break
    fds = [master] + ([0] if stdin_open else [])
    ready, _, _ = select.select(fds, [], [], min(left, 0.5))
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the slave side is closed (the command exited)
            data = b""
        if not data:
            break
        out.write(data)
        out.flush()
    if 0 in ready:
        chunk = os.read(0, 65536)
        if not chunk:
            stdin_open = False
            kill()
            continue
        control += chunk
        while b"\n" in control:
            line, control = control.split(b"\n", 1)
            if not line.strip():
                continue
            msg = json.loads(line)
            if "write" in msg:
                os.write(master, msg["write"].encode("latin1"))
            if "resize" in msg:
                set_size(master, msg["resize"][0], msg["resize"][1])

_, st = os.waitpid(pid, 0)
if os.WIFEXITED(st):
    sys.exit(os.WEXITSTATUS(st))
sys.exit(128 + os.WTERMSIG(st))
