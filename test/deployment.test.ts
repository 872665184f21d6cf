import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICE_ROLES } from '../src/roles.js';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * What can be checked of the deployment files without a Docker engine: the compose file
 * parses and gives driftwatch exactly the variables its configuration reads, and every
 * command the Dockerfile and the compose file run exists.
 */
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
}

const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const packageJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/**
 * The environment variables src/config reads, from its source: `env.NAME`, `env['NAME']`,
 * and a name in quotes handed to a parser (`int('NAME', ...)`, `parse(env, 'NAME', ...)`);
 * error codes (`DW_...`) are not variables.
 */
function variablesReadByConfig(): string[] {
  const dir = path.join(REPO_ROOT, 'src/config');
  const names = new Set<string>();
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.includes('.test.'))) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of source.matchAll(
      /\benv\.([A-Z][A-Z0-9_]*)|['"]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"]/g,
    )) {
      const name = match[1] ?? match[2] ?? '';
      if (!name.startsWith('DW_')) names.add(name);
    }
  }
  return [...names].sort();
}

/** Webhook secrets and preset tokens the shipped monitor files name (`secret_env`, `token_env`). */
function secretsNamedByMonitors(): string[] {
  const dir = path.join(REPO_ROOT, 'monitors');
  const names = new Set<string>();
  for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of text.matchAll(/\b(?:secret_env|token_env):\s*['"]?([A-Z][A-Z0-9_]*)/g))
      names.add(match[1] ?? '');
  }
  return [...names];
}

const driftwatchServices = Object.entries(compose.services).filter(([name]) =>
  name.startsWith('driftwatch'),
);

describe('docker-compose.yml', () => {
  it('runs Kafka in KRaft mode, a ClickHouse server, an SMTP catcher and driftwatch', () => {
    const images = Object.values(compose.services).map((service) => service.image ?? '');
    expect(images).toContainEqual(expect.stringMatching(/^apache\/kafka:/));
    expect(images).toContainEqual(expect.stringMatching(/^clickhouse\/clickhouse-server:/));
    expect(images).toContainEqual(expect.stringMatching(/^axllent\/mailpit:/));
    expect(images.some((image) => /zookeeper/i.test(image))).toBe(false);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('gives every driftwatch process exactly the variables src/config reads', () => {
    const read = [...variablesReadByConfig(), ...secretsNamedByMonitors()].sort();
    expect(read).toContain('CLICKHOUSE_URL'); // the scan finds what it should
    for (const [name, service] of driftwatchServices) {
      const set = Object.keys(service.environment ?? {}).sort();
      const missing = read.filter((variable) => !set.includes(variable));
      const unknown = set.filter((variable) => !read.includes(variable));
      expect({ service: name, missing, unknown }).toEqual({
        service: name,
        missing: [],
        unknown: [],
      });
    }
  });

  it('runs one scheduler, scalable ingest workers and the API, each a real role', () => {
    const roles = Object.fromEntries(
      driftwatchServices.map(([name, service]) => [name, service.command?.join(' ')]),
    );
    expect(roles).toEqual({
      'driftwatch-api': 'serve --role api',
      'driftwatch-scheduler': 'serve --role scheduler',
      'driftwatch-ingest': 'serve --role ingest',
    });
    for (const [, service] of driftwatchServices) {
      expect(SERVICE_ROLES).toContain(service.command?.[2]);
      expect(service.build).toBe('.');
    }
    expect(compose.services['driftwatch-scheduler']?.deploy?.replicas).toBe(1);
    // the API applies the migrations before the others start
    expect(compose.services['driftwatch-ingest']?.depends_on?.['driftwatch-api']).toEqual({
      condition: 'service_healthy',
    });
  });

  it('names services that exist in its depends_on', () => {
    for (const service of Object.values(compose.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(Object.keys(compose.services)).toContain(dependency);
    }
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds in one stage and runs as an unprivileged user in another', () => {
    expect(instructions.filter((line) => line.startsWith('FROM '))).toEqual([
      'FROM node:20-bookworm-slim AS build',
      'FROM node:20-bookworm-slim',
    ]);
    const finalStage = instructions.slice(instructions.lastIndexOf('FROM node:20-bookworm-slim'));
    expect(finalStage).toContain('USER node');
  });

  it('copies only what exists, and runs npm scripts that exist', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(fs.existsSync(path.join(REPO_ROOT, source))).toBe(true);
    }
    for (const line of instructions.filter((l) => l.startsWith('RUN '))) {
      for (const script of line.matchAll(/npm run (\S+)/g))
        expect(Object.keys(packageJson.scripts)).toContain(script[1]);
    }
    // what the final stage takes from the build stage is what the build makes
    const built = instructions
      .filter((l) => l.startsWith('COPY --from=build '))
      .map((l) => l.split(/\s+/)[2]?.replace(/^\/app\//, '') ?? '');
    expect(built).toEqual(['package.json', 'node_modules', 'dist', 'bin/driftwatch.js', 'schemas']);
    expect(fs.readFileSync(path.join(REPO_ROOT, 'bin/build.mjs'), 'utf8')).toContain("'dist'");
  });

  it('starts the real CLI with a real command', () => {
    expect(instructions).toContain('ENTRYPOINT ["node", "bin/driftwatch.js"]');
    expect(instructions).toContain('CMD ["serve"]');
    const help = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/driftwatch.js'), 'serve', '--help'],
      {
        encoding: 'utf8',
      },
    );
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--role <role>/);
  });
});
