# The well-behaved client during an attack: a raw WebSocket registered on public.canary, a numbered publication
# through REST every 0.5 s, and a GET /health every 0.5 s. Prints lost, order, the longest gap, health failures.
# usage: python3 canary.py BRIDGE_PORT API_PORT SECONDS
import socket, sys, time, json, threading, http.client
bp=int(sys.argv[1]); ap=int(sys.argv[2]); dur=float(sys.argv[3])
def frame(text):
    p=text.encode(); mask=b"\x01\x02\x03\x04"
    hdr=bytes([0x81,0x80|len(p)]) if len(p)<126 else bytes([0x81,0xFE])+len(p).to_bytes(2,"big")
    return hdr+mask+bytes(b^mask[i%4] for i,b in enumerate(p))
s=socket.create_connection(("127.0.0.1",bp)); s.sendall((f"GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1:{bp}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head=b""
while b"\r\n\r\n" not in head: head+=s.recv(1)
assert head.startswith(b"HTTP/1.1 101"), head
s.sendall(frame('{"type":"register","address":"public.canary"}'))
got=[]; times=[]
def reader():
    buf=b""
    while True:
        try: d=s.recv(65536)
        except OSError: return
        if not d: return
        buf+=d
        while len(buf)>=2:
            ln=buf[1]&0x7f; off=2
            if ln==126: ln=int.from_bytes(buf[2:4],"big"); off=4
            if len(buf)<off+ln: break
            txt=buf[off:off+ln]; buf=buf[off+ln:]
            try:
                m=json.loads(txt)
                if m.get("address")=="public.canary": got.append(m["body"]["n"]); times.append(time.time())
            except Exception: pass
threading.Thread(target=reader,daemon=True).start()
time.sleep(0.5)
sent=0; hfail=0; hworst=0; t0=time.time()
while time.time()-t0<dur:
    t=time.time()
    try:
        c=http.client.HTTPConnection("127.0.0.1",ap,timeout=5); c.request("GET","/health"); r=c.getresponse(); r.read(); c.close()
        if r.status!=200: hfail+=1
    except Exception: hfail+=1
    hworst=max(hworst,time.time()-t)
    try:
        c=http.client.HTTPConnection("127.0.0.1",ap,timeout=5); c.request("POST","/api/publish/public.canary",body=json.dumps({"n":sent})); r=c.getresponse(); r.read(); c.close()
        sent+=1
    except Exception: pass
    s.sendall(frame('{"type":"ping"}'))
    time.sleep(max(0,0.5-(time.time()-t)))
time.sleep(1)
gaps=[b-a for a,b in zip(times,times[1:])]
print(f"canary: published {sent}, received {len(got)}, lost {sent-len(set(got))}, in order {got==sorted(got)}, max gap {max(gaps) if gaps else 0:.2f}s; health failures {hfail}, worst health {hworst*1000:.0f} ms")
