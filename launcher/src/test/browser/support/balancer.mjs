// A load balancer of the simplest kind, in front of the nodes' bridge ports, as nginx is in production: each
// TCP connection goes to the first node that accepts it, so a page served through it comes back through it to
// another node when its own dies. A test can also cut every connection (the network blinks, the node lives)
// and hold new ones off (closed as they arrive) for as long as it wants the page away.
import { createServer, connect } from 'node:net';

export async function startBalancer(nodes) {
  const open = new Set();   // client sockets
  let holding = false;
  const server = createServer((client) => {
    if (holding) {
      client.destroy();
      return;
    }
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => {});
    forward(client, nodes.map((n) => n.bridgePort));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Ends every connection at once, as a network that drops them would (no close handshake). */
    cut() { for (const client of open) client.resetAndDestroy(); },
    hold() { holding = true; },
    release() { holding = false; },
    async close() {
      for (const client of open) client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Pipes the client to the first port that accepts, trying them in order; none: the client is closed. */
function forward(client, ports) {
  if (ports.length === 0 || client.destroyed) {
    client.destroy();
    return;
  }
  client.pause();
  let connected = false;
  const upstream = connect(ports[0], '127.0.0.1');
  const leave = () => upstream.destroy();
  client.once('close', leave);
  upstream.on('error', (error) => {
    if (connected || error.code !== 'ECONNREFUSED') {
      client.destroy();
      return;
    }
    client.off('close', leave);
    forward(client, ports.slice(1));
  });
  upstream.once('connect', () => {
    connected = true;
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.once('close', () => client.destroy());
  });
}
