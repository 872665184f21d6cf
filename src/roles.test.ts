import { describe, expect, it } from 'vitest';
import { SERVICE_ROLES, stagesOfRole } from './roles.js';

describe('service roles', () => {
  it('split the service: consumers apart from the one scheduler, the API alone', () => {
    const stages = Object.fromEntries(
      SERVICE_ROLES.map((role) => [
        role,
        [stagesOfRole(role, { kafka: false }), stagesOfRole(role, { kafka: true })],
      ]),
    );
    expect(stages).toEqual({
      all: [
        { kafka: false, schedule: true },
        { kafka: true, schedule: true },
      ],
      ingest: [
        { kafka: true, schedule: false },
        { kafka: true, schedule: false },
      ],
      scheduler: [
        { kafka: false, schedule: true },
        { kafka: false, schedule: true },
      ],
      api: [
        { kafka: false, schedule: false },
        { kafka: false, schedule: false },
      ],
    });
  });
});
