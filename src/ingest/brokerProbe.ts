import net from 'node:net';

export interface BrokerAnswer {
  broker: string;
  /** null when a TCP connection opened; otherwise why not. */
  error: string | null;
}

/**
 * Opens a TCP connection to each bootstrap broker, in parallel, within `timeoutMs`. kafkajs
 * retries an unreachable cluster silently for about half a minute before it says anything;
 * this says within seconds that nothing listens there, while the consumer keeps trying.
 */
export async function probeBrokers(
  brokers: readonly string[],
  timeoutMs = 3000,
): Promise<BrokerAnswer[]> {
  return Promise.all(brokers.map((broker) => probeBroker(broker, timeoutMs)));
}

function probeBroker(broker: string, timeoutMs: number): Promise<BrokerAnswer> {
  const separator = broker.lastIndexOf(':');
  const host = separator > 0 ? broker.slice(0, separator).replace(/^\[|\]$/g, '') : broker;
  const port = separator > 0 ? Number(broker.slice(separator + 1)) : 9092;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    return Promise.resolve({ broker, error: 'not HOST:PORT' });
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (error: string | null) => {
      socket.destroy();
      resolve({ broker, error });
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => finish(null));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message)),
    );
  });
}
