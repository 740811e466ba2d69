# Opens N raw WebSockets (/eventbus/websocket) at once from SOURCE (127.0.0.2, ... for more than ~28,000 ports),
# keeps them alive with a bridge ping every 4 s, and prints how many were upgraded, refused and are still open.
# usage: python3 ws_flood.py BRIDGE_PORT N SECONDS [SOURCE]   (two of them at 10,500 each: 21,000 against 20,000 fds)
import socket, sys, time, os, selectors, base64
port=int(sys.argv[1]); n=int(sys.argv[2]); dur=float(sys.argv[3]); src=sys.argv[4] if len(sys.argv)>4 else "127.0.0.1"
req=(f"GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
def frame(text):
    p=text.encode(); mask=b"\x01\x02\x03\x04"
    return bytes([0x81,0x80|len(p)])+mask+bytes(b^mask[i%4] for i,b in enumerate(p))
ping=frame('{"type":"ping"}')
socks=[]; refused=0; failed=0
t0=time.time()
for i in range(n):
    try:
        s=socket.socket(); s.bind((src,0)); s.settimeout(5); s.connect(("127.0.0.1",port)); s.sendall(req)
        socks.append(s)
    except OSError as e:
        failed+=1
print(f"{time.time()-t0:.1f}s connected {len(socks)} failed {failed}", flush=True)
ok=0; bad=0; alive=[]
for s in socks:
    try:
        s.settimeout(10); d=s.recv(200)
        if d.startswith(b"HTTP/1.1 101"): alive.append(s)
        else: bad+=1; s.close()
    except OSError: bad+=1; s.close()
print(f"{time.time()-t0:.1f}s upgraded {len(alive)} refused/closed {bad}", flush=True)
while time.time()-t0<dur:
    time.sleep(4)
    still=[]
    for s in alive:
        try:
            s.settimeout(0.0001)
            try:
                while True:
                    d=s.recv(65536)
                    if not d: raise OSError()
            except (BlockingIOError, socket.timeout): pass
            s.sendall(ping); still.append(s)
        except OSError: s.close()
    alive=still
    print(f"{time.time()-t0:.1f}s open {len(alive)}", flush=True)
