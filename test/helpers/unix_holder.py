# Holds UNIX sockets in every state a test can make: a stream listener, a connected stream pair
# (client and accepted), an unbound stream socket, a bound datagram socket, a connected datagram
# socket, a socketpair and an unbound seqpacket socket. Prints their inodes as JSON, then waits
# until stdin closes (120 s at the latest).
import json, os, select, socket, sys, tempfile

d = tempfile.mkdtemp(prefix="netsnap-unix-")
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(os.path.join(d, "s"))
listener.listen(8)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(os.path.join(d, "s"))
accepted, _ = listener.accept()
unbound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
dgram.bind(os.path.join(d, "d"))
dconn = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
dconn.connect(os.path.join(d, "d"))
pa, pb = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
seq = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ino = lambda s: os.fstat(s.fileno()).st_ino
names = dict(listener=listener, client=client, accepted=accepted, unbound=unbound, dgram=dgram, dconn=dconn, pa=pa, pb=pb, seq=seq)
print(json.dumps({k: ino(v) for k, v in names.items()}), flush=True)
select.select([sys.stdin], [], [], 120)
for f in ("s", "d"):
    os.unlink(os.path.join(d, f))
os.rmdir(d)
