// Proves docker-compose.yml and the services' validated configuration cannot drift apart: every
// variable a service requires is set for it in the compose file, every value there passes the
// service's own schema, no variable is set that the service does not know, and the migration step
// and the database init script name the same databases the services use.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { envSchema as ledgerEnv } from '../apps/ledger-service/src/config/config';
import { envSchema as notificationEnv } from '../apps/notification-service/src/config/config';
import { envSchema as transferEnv } from '../apps/transfer-service/src/config/config';
import { envSchema as consoleEnv } from '../apps/console/src/config/config';
import { DEV_ROLE_PASSWORD } from '../scripts/infra/stack-config';
import { SERVICE_NODE_FLAGS, SERVICES, serviceRoleOf, type ServiceSpec } from '../scripts/infra/services';

interface ComposeService {
  environment?: Record<string, string>;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const root = path.join(__dirname, '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const initSql = fs.readFileSync(path.join(root, 'docker', 'postgres', 'create-databases.sql'), 'utf8');

/** The values compose gives when the shell sets none of the `${NAME:-default}` variables. */
function withComposeDefaults(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [
      key,
      value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, (_match, fallback: string) => fallback),
    ]),
  );
}

const schemas: Record<string, z.ZodObject> = {
  transfer: transferEnv,
  ledger: ledgerEnv,
  notification: notificationEnv,
};

describe.each(Object.entries(schemas))('the %s-service in docker-compose.yml', (name, schema) => {
  const service = compose.services[`${name}-service`];
  const environment = withComposeDefaults(service?.environment ?? {});

  it('sets every variable the service requires', () => {
    const required = Object.entries(schema.shape)
      .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
      .map(([key]) => key);
    expect(required.length).toBeGreaterThan(0);
    expect(Object.keys(environment)).toEqual(expect.arrayContaining(required));
  });

  it('sets only variables the service knows, with values its schema accepts', () => {
    expect(Object.keys(environment).filter((key) => !(key in schema.shape))).toEqual([]);
    const parsed = schema.safeParse(environment);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('listens on every interface of its container, its port published on 127.0.0.1 only', () => {
    // Outside a container the services listen on loopback (the schema's default): `npm start` runs them
    // on the host with the published dev keys.
    expect(schema.shape.HOST?.parse(undefined)).toBe('127.0.0.1');
    expect(environment.HOST).toBe('0.0.0.0');
    const ports = (service as ComposeService & { ports?: string[] }).ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('starts after the migration step, which migrates the database it uses', () => {
    const database = new URL(environment.DATABASE_URL ?? '').pathname.slice(1);
    expect(service?.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    // The step migrates every database of scripts/infra/services.ts (scripts/db/migrate.ts).
    const migrate = compose.services.migrate;
    expect(migrate?.command).toEqual(['scripts/db/migrate.ts']);
    const url = new URL(environment.DATABASE_URL ?? '');
    expect(migrate?.environment).toEqual({
      ONCEPAY_POSTGRES_HOST: url.hostname,
      ONCEPAY_POSTGRES_PORT: url.port,
      ONCEPAY_POSTGRES_PASSWORD: expect.any(String),
      ONCEPAY_ROLE_PASSWORD: url.password,
    });
    // As its own role (scripts/db/roles.ts), never as the superuser the migration step uses.
    expect(url.username).toBe(serviceRoleOf(name as ServiceSpec['name']));
    expect(url.password).not.toBe(migrate?.environment?.ONCEPAY_POSTGRES_PASSWORD);
    // The dev default the local tools (the auditor, the smoke test's attacks) reach the compose stack with.
    expect(url.password).toBe(DEV_ROLE_PASSWORD);
    expect(SERVICES.find((spec) => spec.name === name)?.database).toBe(database);
    expect(initSql).toContain(`CREATE DATABASE ${database};`);
  });
});

describe('the console in docker-compose.yml', () => {
  const environment = withComposeDefaults(compose.services.console?.environment ?? {});

  it('sets only variables the console knows, with values its schema accepts', () => {
    expect(Object.keys(environment).filter((key) => !(key in consoleEnv.shape))).toEqual([]);
    const parsed = consoleEnv.safeParse(environment);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('listens on every interface of its container, its port published on 127.0.0.1 for the Host a browser sends', () => {
    const consoleService = compose.services.console as ComposeService & { ports?: string[] };
    expect(environment.HOST).toBe('0.0.0.0');
    expect(consoleService.ports).toEqual([`127.0.0.1:\${ONCEPAY_CONSOLE_PORT:-3003}:${environment.PORT}`]);
    // Compose fills in the published port, whatever the shell chose: the Host the browser and the smoke
    // test send.
    const raw = consoleService.environment?.CONSOLE_ALLOWED_HOSTS ?? '';
    for (const published of ['3003', '49152']) {
      const hosts = raw.replace(/\$\{ONCEPAY_CONSOLE_PORT:-3003\}/g, published);
      const parsed = consoleEnv.parse({ ...environment, CONSOLE_ALLOWED_HOSTS: hosts });
      expect(parsed.CONSOLE_ALLOWED_HOSTS).toEqual([`127.0.0.1:${published}`, `localhost:${published}`]);
    }
  });

  it("asks each service at its compose address, with an operator key of the services' API_KEYS", () => {
    const services = compose.services;
    expect(environment.TRANSFER_SERVICE_URL).toBe(
      `http://transfer-service:${services['transfer-service']?.environment?.PORT}`,
    );
    expect(environment.LEDGER_SERVICE_URL).toBe(
      `http://ledger-service:${services['ledger-service']?.environment?.PORT}`,
    );
    expect(environment.NOTIFICATION_SERVICE_URL).toBe(
      `http://notification-service:${services['notification-service']?.environment?.PORT}`,
    );
    expect(services['transfer-service']?.environment?.API_KEYS).toContain(
      `:operator:${environment.CONSOLE_API_KEY}`,
    );
  });
});

describe('the Docker image', () => {
  it('runs the services with the Node flags the local launchers use', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`NODE_OPTIONS="${SERVICE_NODE_FLAGS.join(' ')}"`);
  });
});
