import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeBrokers } from './brokerProbe.js';

describe('probeBrokers', () => {
  it('tells a listening broker from a closed port and a malformed address', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const open = (server.address() as net.AddressInfo).port;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      expect(
        await probeBrokers([`127.0.0.1:${open}`, `127.0.0.1:${closedPort}`, 'kafka:x'], 2000),
      ).toEqual([
        { broker: `127.0.0.1:${open}`, error: null },
        { broker: `127.0.0.1:${closedPort}`, error: 'connection refused' },
        { broker: 'kafka:x', error: 'not HOST:PORT' },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
