# Holds sockets that Node cannot open itself (UNIX datagram sockets) or cannot leave alone
# (a listener whose connections are never accepted), then prints their inodes as JSON and
# waits until stdin closes. It exits by itself after 120 s at the latest.
import json, os, socket, sys, tempfile, select

d = tempfile.mkdtemp(prefix="netsnap holder ")
dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
dgram_path = os.path.join(d, "dgram sock")
dgram.bind(dgram_path)
unbound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
pending = []
for _ in range(3):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(listener.getsockname())
    pending.append(c)
ino = lambda s: os.fstat(s.fileno()).st_ino
print(json.dumps({
    "pid": os.getpid(),
    "dgramInode": ino(dgram), "dgramPath": dgram_path,
    "unboundInode": ino(unbound),
    "listenerInode": ino(listener), "listenerPort": listener.getsockname()[1],
}), flush=True)
select.select([sys.stdin], [], [], 120)
for p in [dgram_path]:
    try: os.unlink(p)
    except OSError: pass
os.rmdir(d)
