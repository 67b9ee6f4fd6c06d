# A process whose strings are hostile to a terminal, for the terminal-safety tests: it runs itself
# again with the hostile argv[0] ARGV0 (hex bytes), sets the hostile comm COMM, optionally becomes uid
# UID (so its inet sockets carry a user the test names), then holds a UNIX listener at PATH (hex
# bytes: control characters, a lone C1 byte, bytes that are not UTF-8) and a loopback TCP listener
# with one connection, through which it keeps sending a little. Prints {"pid", "port"} as JSON.
# Commands on stdin, one per line:
#   open   bind a second UNIX listener at PATH + "2" (prints "opened")
#   churn  one short connection to its own listener: connect, send, close (prints "churned")
# Exits when stdin closes (120 s at the latest).
#
# usage: hostile_names.py ARGV0 PATH COMM [UID]     (ARGV0, PATH and COMM as hex bytes)
import ctypes, encodings.idna, json, os, select, socket, sys, time  # idna: imported before setuid (host names are encoded with it)

if os.environ.get("HOSTILE_NAMES_EXECED") != "1":
    os.environ["HOSTILE_NAMES_EXECED"] = "1"
    os.execv(sys.executable, [bytes.fromhex(sys.argv[1]), os.path.abspath(__file__)] + sys.argv[1:])

path = bytes.fromhex(sys.argv[2])
comm = bytes.fromhex(sys.argv[3])
if len(sys.argv) > 4 and os.geteuid() == 0:
    uid = int(sys.argv[4])
    os.setgid(uid)
    os.setuid(uid)
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(comm), 0, 0, 0)  # PR_SET_NAME

unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix.bind(path)
unix.listen(4)
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("127.0.0.1", 0))
tcp.listen(16)
port = tcp.getsockname()[1]
client = socket.create_connection(("127.0.0.1", port))
accepted, _ = tcp.accept()
accepted.setblocking(False)
client.setblocking(False)
print(json.dumps({"pid": os.getpid(), "port": port}), flush=True)

second = None
chunk = b"x" * 4096
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    ready, _, _ = select.select([sys.stdin, accepted], [], [], 0.02)
    if accepted in ready:
        try:
            accepted.recv(1 << 16)
        except BlockingIOError:
            pass
    try:
        client.send(chunk)
    except BlockingIOError:
        pass
    if sys.stdin in ready:
        line = sys.stdin.readline()
        if not line:
            break
        cmd = line.strip()
        if cmd == "open" and second is None:
            second = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            second.bind(path + b"2")
            second.listen(1)
            print("opened", flush=True)
        elif cmd == "churn":
            c = socket.create_connection(("127.0.0.1", port))
            a, _ = tcp.accept()
            c.sendall(b"y" * 1000)
            a.recv(1 << 16)
            a.sendall(b"z" * 500)
            c.recv(1 << 16)
            c.close()
            a.close()
            print("churned", flush=True)

for p in (path, path + b"2"):
    try:
        os.unlink(p)
    except OSError:
        pass
