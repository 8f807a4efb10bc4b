// `npm run bench -- --cpu-profile`: where each service's CPU goes. The services of the benchmark's own
// stack run under V8's sampling profiler (`node --cpu-prof`), which writes a .cpuprofile when the
// process exits; this file reads those back and sums the time each sample was charged to the function
// it was in (its "self" time), by npm package (or workspace, Node's own modules, native code, the
// garbage collector) and by function. Choosing what to make cheaper starts here, not with a guess.
import fs from 'node:fs/promises';
import path from 'node:path';

/** The part of V8's .cpuprofile format this reads (the Chrome DevTools protocol's Profiler.Profile). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  /** The node each sample was taken in, in order... */
  samples: number[];
  /** ...and the microseconds since the sample before it. */
  timeDeltas: number[];
}

export interface CpuShare {
  name: string;
  ms: number;
  /** Of the busy time (idle samples left out), 0..1. */
  share: number;
}

export interface CpuProfileSummary {
  /** Sampled time the process was running JavaScript, native code or the collector, ms. */
  busyMs: number;
  /** Sampled time its event loop waited for work, ms. */
  idleMs: number;
  /** Every group of {@link CODE_GROUPS} in its order, none left out, so the column adds up to the busy time. */
  byGroup: CpuShare[];
  byPackage: CpuShare[];
  byFunction: CpuShare[];
}

export interface ServiceCpuProfile {
  service: string;
  /** The .cpuprofile file, for a closer look in Chrome DevTools; null when none was written. */
  file: string | null;
  summary: CpuProfileSummary | null;
}

/** The rows of each table the report keeps before one row for the rest: enough to see the shape. */
const TOP = 12;

/** The node flags that make a service write its profile into `dir` when it exits. */
export function cpuProfileFlags(dir: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Where a frame's code lives: the npm package (the innermost node_modules folder of its file), the
 * workspace (apps/x, packages/x), `node:<module>` for Node's own JavaScript, or V8's names for what
 * has no file: `(garbage collector)`, `(program)` (V8 itself, outside any function) and `(native)`
 * (C++ a function called, a socket write among them).
 */
export function codeOwner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packages = url.match(/node_modules\/(?:@[^/]+\/)?[^/]+/g);
  if (packages) return packages[packages.length - 1]!.slice('node_modules/'.length);
  if (url.startsWith('node:')) return `node:${url.slice('node:'.length).split('/')[0]}`;
  // The last apps/x or packages/x of the path: the repository itself may sit below such a folder.
  const workspace = [...url.matchAll(/\/(apps|packages)\/([^/]+)(?=\/)/g)].pop();
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('wasm://')) return 'wasm';
  return url;
}

/**
 * The groups a service's busy time is told in, across services (docs/performance.md, "Profile"): what
 * writes to sockets and files, each library a transfer crosses, OncePay's own code, the rest.
 */
export const CODE_GROUPS = [
  'socket and file writes',
  'Node, V8 and other native code',
  "OncePay's own code (apps/, packages/)",
  'garbage collection',
  'kafkajs',
  'node-postgres',
  'the HTTP framework (Fastify, Nest)',
  'zod and other packages',
] as const;
export type CodeGroup = (typeof CODE_GROUPS)[number];

/** Node's bindings that hand bytes to the kernel: a socket's writev and write, a file's write. */
const WRITE_BINDINGS = new Set([
  'writev',
  'writeBuffer',
  'writeUtf8String',
  'writeLatin1String',
  'writeString',
]);
const HTTP_FRAMEWORK =
  /^(fastify|@fastify\/|@nestjs\/|find-my-way|avvio|light-my-request|secure-json-parse|fast-json-stringify|fast-querystring)/;

/** The group of a frame, from its owner ({@link codeOwner}) and, for native code, its name. */
export function codeGroup(owner: string, functionName: string): CodeGroup {
  if (owner === '(native)' && WRITE_BINDINGS.has(functionName)) return 'socket and file writes';
  if (owner === '(garbage collector)') return 'garbage collection';
  if (owner === 'kafkajs') return 'kafkajs';
  if (/^pg($|-)/.test(owner)) return 'node-postgres';
  if (HTTP_FRAMEWORK.test(owner)) return 'the HTTP framework (Fastify, Nest)';
  if (/^(apps|packages)\//.test(owner)) return "OncePay's own code (apps/, packages/)";
  if (owner.startsWith('node:') || owner.startsWith('(')) return 'Node, V8 and other native code';
  // Every other package, and `wasm`: the only WebAssembly a service runs is Prisma's query compiler.
  return 'zod and other packages';
}

/** Self time by group, by owner and by function; the idle samples are counted apart, not in the shares. */
export function summarizeCpuProfile(profile: CpuProfile, top = TOP): CpuProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byGroup = new Map<CodeGroup, number>(CODE_GROUPS.map((group) => [group, 0]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    const frame = frames.get(id);
    if (!frame || us <= 0) return;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    const owner = codeOwner(frame.url, frame.functionName);
    const group = codeGroup(owner, frame.functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + us);
    const where = frame.url === '' ? '' : ` ${fileOf(frame.url)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  });
  const share = (name: string, us: number): CpuShare => ({
    name,
    ms: us / 1000,
    share: busyUs === 0 ? 0 : us / busyUs,
  });
  // The top entries, then one row for the rest, so each table adds up to the busy time.
  const ranked = (totals: Map<string, number>): CpuShare[] => {
    const sorted = [...totals].sort(([, a], [, b]) => b - a);
    const rest = sorted.slice(top);
    const restUs = rest.reduce((sum, [, us]) => sum + us, 0);
    return [
      ...sorted.slice(0, top).map(([name, us]) => share(name, us)),
      ...(rest.length > 0 ? [share(`(${rest.length} more)`, restUs)] : []),
    ];
  };
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byGroup: [...byGroup].map(([name, us]) => share(name, us)),
    byPackage: ranked(byPackage),
    byFunction: ranked(byFunction),
  };
}

/** A file named from its package on: `pg/lib/utils.js`, `dedup/dist/codec.js`, `node:internal/buffer`. */
function fileOf(url: string): string {
  if (url.startsWith('node:')) return url;
  const parts = url.split('/');
  const anchor = Math.max(
    parts.lastIndexOf('node_modules'),
    parts.lastIndexOf('apps'),
    parts.lastIndexOf('packages'),
  );
  return anchor >= 0 ? parts.slice(anchor + 1).join('/') : parts.slice(-2).join('/');
}

/**
 * The profiles `--cpu-prof` wrote into `dir` (named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile),
 * each matched to its service by the pid the benchmark sampled (the main thread's; a file of another
 * pid is left out). A service without one, because it did not exit normally, is listed with null.
 */
export async function readServiceProfiles(
  dir: string,
  services: readonly { name: string; pid: number }[],
): Promise<ServiceCpuProfile[]> {
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((file) =>
    file.endsWith('.cpuprofile'),
  );
  const profiles: ServiceCpuProfile[] = [];
  for (const service of services) {
    const file = files.find((candidate) => pidOfProfileFile(candidate) === service.pid);
    if (!file) {
      profiles.push({ service: service.name, file: null, summary: null });
      continue;
    }
    const profile = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as CpuProfile;
    profiles.push({
      service: service.name,
      file: path.join(dir, file),
      summary: summarizeCpuProfile(profile),
    });
  }
  return profiles;
}

/** The pid of a main thread's profile file (thread 0); null for any other file. */
export function pidOfProfileFile(file: string): number | null {
  const match = /^CPU\.\d+\.\d+\.(\d+)\.0\.\d+\.cpuprofile$/.exec(file);
  return match ? Number(match[1]) : null;
}
