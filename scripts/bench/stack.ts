// What `npm run bench` measures: the stack of a running `npm start` when all its ports answer, used as
// it is; otherwise a stack of its own, started the way `npm start` does (scripts/stack/start.ts) in a
// fresh .oncepay/bench-stack and stopped at the end. Either way the processes to sample are found by
// the ports they listen on, so both cases are measured alike.
import path from 'node:path';
import { kafkaLogDirOf } from '../infra/kafka';
import { isPortOpen } from '../infra/net';
import { DATA_DIR } from '../infra/paths';
import { RATE_LIMIT_LIFTED } from '../infra/services';
import { kafkaBrokers, postgresUrl, stackConfig } from '../infra/stack-config';
import { startFreshStack } from '../stack/fresh-stack';
import type { BenchTarget } from './bench';
import { prefillHistory, prefillWindows, type PrefillPlan } from './prefill';
import type { MonitoredProcess } from './process-sampler';
import { pidListeningOn, readCmdline, readParentPid } from './proc';

const BENCH_STACK_DIR = path.join(DATA_DIR, 'bench-stack');

export interface BenchStack {
  target: BenchTarget;
  stop(): Promise<void>;
}

interface Listener {
  name: string;
  kind: MonitoredProcess['kind'];
  port: number;
  includeChildren: boolean;
}

/** The process behind each port, and a note for each port whose process could not be found. */
export function processesListeningOn(listeners: Listener[]): {
  processes: MonitoredProcess[];
  notes: string[];
} {
  const processes: MonitoredProcess[] = [];
  const notes: string[] = [];
  for (const { name, kind, port, includeChildren } of listeners) {
    const pid = pidListeningOn(port);
    if (pid === null)
      notes.push(
        `${name}: no process found listening on port ${port}, so it is not sampled ` +
          '(finding it reads /proc/<pid>/fd, which needs the same user or root)',
      );
    else processes.push({ name, kind, pid, includeChildren });
  }
  return { processes, notes };
}

function stackListeners(): Listener[] {
  return [
    ...stackConfig.services.map((service) => ({
      name: `${service.name}-service`,
      kind: 'service' as const,
      port: stackConfig.servicePort(service),
      includeChildren: false,
    })),
    { name: 'postgresql', kind: 'postgresql', port: stackConfig.postgres.port, includeChildren: true },
    { name: 'kafka', kind: 'kafka', port: stackConfig.kafka.port, includeChildren: false },
  ];
}

/** What makes a run start a stack of its own and refuse a running one. */
export interface OwnStackNeeds {
  /** Services configured its own way (the soak's short retention, --service-env): on top of their usual variables. */
  env?: Record<string, string>;
  /** Tables that must hold this history before the services start (prefill.ts). */
  prefill?: PrefillPlan | null;
  /** Node flags for the services (--cpu-profile's). */
  nodeFlags?: readonly string[];
}

/** The running `npm start` stack when nothing in `own` needs one of the run's own; otherwise a fresh stack. */
export async function useOrStartStack(
  logLevel: string,
  log: (line: string) => void,
  own: OwnStackNeeds = {},
): Promise<BenchStack> {
  const { env: ownStackEnv, prefill, nodeFlags } = own;
  const listeners = stackListeners();
  const open = await Promise.all(listeners.map((listener) => isPortOpen(listener.port)));
  if ((ownStackEnv || prefill || nodeFlags?.length) && open.some(Boolean))
    throw new Error(
      `this run starts a stack of its own (${[
        ...(ownStackEnv ? [`with ${Object.keys(ownStackEnv).join(', ')} set`] : []),
        ...(prefill ? [`prefilled with ${prefill.transfers} transfers`] : []),
        ...(nodeFlags?.length ? [`services run with ${nodeFlags.join(' ')}`] : []),
      ].join(', ')}), but ` +
        `${listeners
          .filter((_, i) => open[i])
          .map((l) => `${l.name} :${l.port}`)
          .join(', ')} already answer: stop \`npm start\` first`,
    );
  if (open.every(Boolean)) {
    log(
      'using the running stack (npm start). Its services limit each client to RATE_LIMIT_MAX requests ' +
        '(100 a second by default): load above that is answered 429 and counted as errors. For numbers ' +
        'of the system rather than of the limit, run the benchmark with no stack running.',
    );
    return { target: usedTarget(listeners), stop: async () => undefined };
  }
  if (open.some(Boolean)) {
    const answering = listeners.filter((_, i) => open[i]).map((l) => `${l.name} :${l.port}`);
    const silent = listeners.filter((_, i) => !open[i]).map((l) => `${l.name} :${l.port}`);
    throw new Error(
      `part of a stack is running (${answering.join(', ')} answer; ${silent.join(', ')} do not). ` +
        'Run the benchmark beside a complete `npm start`, or with nothing on those ports.',
    );
  }
  return startOwnStack(listeners, logLevel, log, ownStackEnv ?? {}, prefill ?? null, nodeFlags ?? []);
}

function baseTarget(listeners: Listener[]): Omit<BenchTarget, 'description' | 'notes'> & { notes: string[] } {
  const service = (name: 'transfer' | 'ledger' | 'notification') => {
    const spec = stackConfig.services.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`no ${name} service in the stack configuration`);
    return spec;
  };
  // The benchmark opens its own treasury, which only an operator may do; the load runs as the same client.
  const operator = stackConfig.apiKeys
    .split(',')
    .map((entry) => entry.trim().split(':'))
    .find(([, role, key]) => role === 'operator' && key !== undefined && !key.startsWith('sha256='));
  const [clientId, , apiKey] = operator ?? [];
  if (!clientId || !apiKey)
    throw new Error('the stack configuration (ONCEPAY_API_KEYS) has no operator with a plain key to run as');
  const { processes, notes } = processesListeningOn(listeners);
  return {
    transferUrl: `http://127.0.0.1:${stackConfig.servicePort(service('transfer'))}`,
    ledgerUrl: `http://127.0.0.1:${stackConfig.servicePort(service('ledger'))}`,
    client: { id: clientId, apiKey },
    databases: {
      transfer: postgresUrl(service('transfer').database),
      ledger: postgresUrl(service('ledger').database),
      notification: postgresUrl(service('notification').database),
    },
    postgresAdminUrl: postgresUrl('postgres'),
    kafka: { brokers: [kafkaBrokers()], namespace: '' },
    processes,
    notes,
    prefill: null,
  };
}

function usedTarget(listeners: Listener[]): BenchTarget {
  const target = baseTarget(listeners);
  const notes = [
    ...target.notes,
    'the services run with the LOG_LEVEL that stack set (`npm start`: log, a line per transfer outcome)',
    'the stack holds earlier data too; the audit covers all of it',
  ];
  // `npm start` prints every line its services log: that work is part of running the stack this way.
  const transferService = target.processes.find((process) => process.name === 'transfer-service');
  const parent = transferService ? readParentPid(transferService.pid) : null;
  if (parent && readCmdline(parent).includes('scripts/stack/start.ts')) {
    target.processes.push({
      name: 'npm start (prints the logs)',
      kind: 'other',
      pid: parent,
      includeChildren: false,
    });
  }
  return {
    ...target,
    description:
      `the running \`npm start\` stack (PostgreSQL :${stackConfig.postgres.port}, Kafka :${stackConfig.kafka.port}, ` +
      `services :${listeners
        .filter((l) => l.kind === 'service')
        .map((l) => l.port)
        .join(', :')}), used as it is`,
    notes,
  };
}

async function startOwnStack(
  listeners: Listener[],
  logLevel: string,
  log: (line: string) => void,
  extraEnv: Record<string, string>,
  prefill: PrefillPlan | null,
  nodeFlags: readonly string[],
): Promise<BenchStack> {
  log('no stack is running: building the services and starting one in .oncepay/bench-stack');
  const target = baseTarget(listeners);
  // The load is one client sending far more than a real client's default limit allows.
  const serviceEnv = { ...RATE_LIMIT_LIFTED, ...extraEnv };
  let history: BenchTarget['prefill'] = null;
  // Fresh every run: the numbers never depend on what an earlier run left in the tables.
  const { stop } = await startFreshStack({
    dir: BENCH_STACK_DIR,
    logLevel,
    serviceEnv,
    serviceNodeFlags: nodeFlags,
    log,
    // The run goes on and reports the process as gone; the audit and the settle waits show the damage.
    onExit: (name, code) => log(`${name} exited with code ${code} during the benchmark`),
    beforeServices: prefill
      ? async () => {
          // The windows of the services about to start: the same for the three (one environment).
          history = await prefillHistory(target.databases, prefill, prefillWindows(serviceEnv), log);
        }
      : undefined,
  });
  // Found once they listen: baseTarget above ran before the services started.
  const { processes, notes } = processesListeningOn(listeners);
  return {
    target: {
      ...target,
      processes,
      prefill: history,
      description:
        `a stack started for this run in .oncepay/bench-stack (fresh), services with ` +
        `${['LOG_LEVEL=' + logLevel, ...Object.entries(extraEnv).map(([name, value]) => `${name}=${value}`)].join(', ')} ` +
        (nodeFlags.length > 0 ? `and the node flags ${nodeFlags.join(' ')}, ` : '') +
        'writing their output to .oncepay/bench-stack/logs/',
      notes,
      // startLocalInfra keeps the broker's data in <dir>/kafka.
      kafkaLogDir: kafkaLogDirOf(path.join(BENCH_STACK_DIR, 'kafka')),
    },
    stop,
  };
}
