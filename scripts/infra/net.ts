// Small port helpers shared by every infrastructure starter.
import net from 'node:net';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Refuses clearly, naming the port and its owner, instead of failing later with EADDRINUSE. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (await isPortOpen(port)) {
    throw new Error(
      `Port ${port} (${what}) is already taken. Stop whatever listens there ` +
        `(try: ss -ltnp 'sport = :${port}') or choose another port through the environment.`,
    );
  }
}

/** Polls until the port accepts connections, bounded by timeoutMs. */
export async function waitForPort(port: number, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs} ms`);
}

/** `count` distinct ports the OS says are free right now (all held open together, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** One port the OS says is free right now. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('the OS gave no free port');
  return port;
}
