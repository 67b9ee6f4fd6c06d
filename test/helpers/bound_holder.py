# Holds TCP sockets with what only the netlink dump shows: a listener bound to a device
# (SO_BINDTODEVICE lo), a client whose port the kernel chose (autobound) and one bound to a port it
# chose itself, all in the cgroup v2 directory given as argv[1] (the process moves itself there).
# Prints the ports as JSON, then waits until stdin closes (120 s at the latest).
import json, os, select, socket, sys

with open(os.path.join(sys.argv[1], "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
listener.bind(("127.0.0.1", 0))
listener.listen(8)
port = listener.getsockname()[1]
auto = socket.create_connection(("127.0.0.1", port))
fixed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
probe.bind(("127.0.0.1", 0))
fixed_port = probe.getsockname()[1]
probe.close()
fixed.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
fixed.bind(("127.0.0.1", fixed_port))
fixed.connect(("127.0.0.1", port))
accepted = [listener.accept()[0], listener.accept()[0]]
print(json.dumps({"pid": os.getpid(), "listenerPort": port, "autoPort": auto.getsockname()[1], "fixedPort": fixed_port}), flush=True)
select.select([sys.stdin], [], [], 120)
