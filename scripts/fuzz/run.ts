// `npm run fuzz`: Schemathesis against each service's served OpenAPI document, on a fresh local stack
// (the services built and started the way `npm start` starts them). It generates requests from the
// document, valid and invalid, and checks every answer: no 5xx, every status and body as documented,
// 405 for a method the document does not declare, and the rest of Schemathesis's checks. Prints one
// line per service and `N passed, N failed`; exits 1 when a service fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEV_API_CLIENTS } from '@oncepay/http-edge';
import { DATA_DIR } from '../infra/paths';
import { RATE_LIMIT_LIFTED } from '../infra/services';
import { stackConfig } from '../infra/stack-config';
import { busyServicePorts, startFreshStack } from '../stack/fresh-stack';

/** Pinned, so a new release cannot turn CI red on its own. */
const SCHEMATHESIS = 'schemathesis==4.32.5';
const FUZZ_DIR = path.join(DATA_DIR, 'fuzz');
const VENV = path.join(FUZZ_DIR, 'venv');
const ST = path.join(VENV, 'bin', 'st');
/** Examples per operation and phase: enough to reach every branch of these small APIs in about a minute. */
const MAX_EXAMPLES = '50';
/** A fixed seed: a failure found in CI reproduces with the same command. */
const SEED = '20261130';

/**
 * Every Schemathesis check runs, except one:
 * - positive_data_acceptance expects a 2xx for any request the document allows, but a schema cannot
 *   say what only the server knows: a cursor it never issued (400 INVALID_CURSOR), an Idempotency-Key
 *   already used with another body (422), the same account on both sides (400), a client that is not
 *   an operator asking for a treasury (403). Those answers are checked against the document like any.
 */
const EXCLUDED_CHECKS = 'positive_data_acceptance';

function log(line: string): void {
  console.log(`[fuzz] ${line}`);
}

function installSchemathesis(): void {
  if (existsSync(ST)) return;
  log(`installing ${SCHEMATHESIS} into ${path.relative(process.cwd(), VENV)}`);
  for (const [command, args] of [
    ['python3', ['-m', 'venv', VENV]],
    [path.join(VENV, 'bin', 'pip'), ['install', '--quiet', SCHEMATHESIS]],
  ] as const) {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  }
}

function fuzz(service: (typeof stackConfig.services)[number]): boolean {
  const url = `http://127.0.0.1:${stackConfig.servicePort(service)}/docs/openapi.json`;
  log(`${service.name}-service: ${url}`);
  const result = spawnSync(
    ST,
    [
      'run',
      url,
      '--header',
      `Authorization: Bearer ${DEV_API_CLIENTS.demoA.key}`,
      '--checks',
      'all',
      '--exclude-checks',
      EXCLUDED_CHECKS,
      '--max-examples',
      MAX_EXAMPLES,
      '--seed',
      SEED,
      '--no-color',
    ],
    // Its example database and cache go under .oncepay/fuzz, not into the checkout.
    { stdio: 'inherit', cwd: FUZZ_DIR },
  );
  return result.status === 0;
}

async function main(): Promise<number> {
  const busy = await busyServicePorts();
  if (busy.length > 0) {
    log(`a stack is running on ${busy.join(', ')}: stop it first; the fuzzer starts a fresh one of its own`);
    return 2;
  }
  installSchemathesis();
  const stack = await startFreshStack({
    dir: path.join(FUZZ_DIR, 'stack'),
    logLevel: 'warn',
    // The fuzzer tests the API, not the rate limit (which has its own test).
    serviceEnv: RATE_LIMIT_LIFTED,
    log,
    onExit: (name, code) => log(`${name} exited with code ${code} while being fuzzed`),
  });
  const results: Array<[string, boolean]> = [];
  try {
    for (const service of stackConfig.services) results.push([service.name, fuzz(service)]);
  } finally {
    await stack.stop();
  }
  for (const [name, ok] of results) log(`${ok ? 'PASS' : 'FAIL'} ${name}-service`);
  const passed = results.filter(([, ok]) => ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return passed === results.length ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
