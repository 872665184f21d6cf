/**
 * What one process does. Ingest workers scale out in one consumer group; one scheduler
 * runs the monitors; the HTTP API is stateless; `all` is everything in one process (the
 * embedded store allows one process per directory). Every role answers HTTP (/healthz,
 * /readyz, /metrics and the API), so each can be probed and scraped.
 */
export const SERVICE_ROLES = ['all', 'ingest', 'scheduler', 'api'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export function stagesOfRole(
  role: ServiceRole,
  options: { kafka: boolean },
): { kafka: boolean; schedule: boolean } {
  switch (role) {
    case 'all':
      return { kafka: options.kafka, schedule: true };
    case 'ingest':
      return { kafka: true, schedule: false };
    case 'scheduler':
      return { kafka: false, schedule: true };
    case 'api':
      return { kafka: false, schedule: false };
  }
}
