# Posts malformed bodies to SockJS's xhr_send of a fresh session each and prints the status of each.
# usage: python3 xhr_send.py BRIDGE_PORT
import http.client, sys, uuid
port=int(sys.argv[1])
def req(method, path, body=None, headers={}):
    c=http.client.HTTPConnection("127.0.0.1",port,timeout=10)
    try:
        c.request(method,path,body=body,headers=headers); r=c.getresponse(); d=r.read(); return r.status, d[:80]
    except Exception as e: return "EXC", str(e)[:80]
    finally: c.close()
cases=[("[null]",b"[null]",{}),("big",b'["'+b"a"*300000+b'"]',{}),
 ("form",b"a="+b"b"*300000,{"Content-Type":"application/x-www-form-urlencoded"}),
 ("notjson",b"not json",{}),("empty",b"",{}),("ok",b'["{\\"type\\":\\"ping\\"}"]',{}),("[1]",b"[1]",{}),("{}",b"{}",{}),("huge-form",b"a="+b"b"*3000000,{"Content-Type":"application/x-www-form-urlencoded"}),
 ("multipart",b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",{"Content-Type":"multipart/form-data; boundary=x"})]
for name,body,h in cases:
    s=uuid.uuid4().hex[:8]
    st,_=req("POST",f"/eventbus/123/{s}/xhr")
    print(name, "open", st, "send", *req("POST",f"/eventbus/123/{s}/xhr_send",body,h))
print("nosession", *req("POST","/eventbus/123/nosuch/xhr_send",b'["x"]'))
