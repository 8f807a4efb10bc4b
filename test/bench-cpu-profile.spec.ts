// `npm run bench -- --cpu-profile`: the flag, the summary of a profile by code owner and by function
// (checked on a profile a real `node --cpu-prof` wrote), and the report's section.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CODE_GROUPS,
  codeGroup,
  codeOwner,
  cpuProfileFlags,
  pidOfProfileFile,
  readServiceProfiles,
  summarizeCpuProfile,
  type CpuProfile,
} from '../scripts/bench/cpu-profile';
import { parseBenchOptions } from '../scripts/bench/options';
import { renderCpuProfiles } from '../scripts/bench/report';

describe('codeOwner', () => {
  it('names the innermost npm package, the workspace, Node or what V8 names itself', () => {
    expect(codeOwner('file:///r/node_modules/pg/lib/client.js', 'query')).toBe('pg');
    expect(codeOwner('file:///r/node_modules/@nestjs/core/router/x.js', 'f')).toBe('@nestjs/core');
    expect(codeOwner('file:///r/node_modules/a/node_modules/pg-protocol/dist/s.js', 'f')).toBe('pg-protocol');
    expect(codeOwner('file:///home/packages/oncepay/packages/dedup/dist/codec.js', 'f')).toBe(
      'packages/dedup',
    );
    expect(codeOwner('file:///r/apps/ledger-service/dist/main.js', 'f')).toBe('apps/ledger-service');
    expect(codeOwner('node:internal/buffer', 'FastBuffer')).toBe('node:internal');
    expect(codeOwner('node:events', 'emit')).toBe('node:events');
    expect(codeOwner('', '(garbage collector)')).toBe('(garbage collector)');
    expect(codeOwner('', 'writev')).toBe('(native)');
    expect(codeOwner('wasm://wasm/00d1cb12', 'f')).toBe('wasm');
  });
});

describe('codeGroup', () => {
  it("puts each owner in the group docs/performance.md tells a service's time in", () => {
    expect(codeGroup('(native)', 'writev')).toBe('socket and file writes');
    expect(codeGroup('(native)', 'writeUtf8String')).toBe('socket and file writes');
    expect(codeGroup('(native)', 'hash')).toBe('Node, V8 and other native code');
    expect(codeGroup('(program)', '(program)')).toBe('Node, V8 and other native code');
    expect(codeGroup('node:internal', 'FastBuffer')).toBe('Node, V8 and other native code');
    expect(codeGroup('(garbage collector)', '(garbage collector)')).toBe('garbage collection');
    expect(codeGroup('kafkajs', 'encode')).toBe('kafkajs');
    for (const pg of ['pg', 'pg-protocol', 'pg-pool']) expect(codeGroup(pg, 'f')).toBe('node-postgres');
    for (const http of ['fastify', '@fastify/cors', '@nestjs/core', 'find-my-way'])
      expect(codeGroup(http, 'f')).toBe('the HTTP framework (Fastify, Nest)');
    expect(codeGroup('apps/ledger-service', 'f')).toBe("OncePay's own code (apps/, packages/)");
    expect(codeGroup('packages/dedup', 'f')).toBe("OncePay's own code (apps/, packages/)");
    for (const other of ['zod', 'pgbouncer-like', 'wasm', 'prom-client'])
      expect(codeGroup(other, 'f')).toBe('zod and other packages');
  });
});

describe('summarizeCpuProfile', () => {
  const frame = (id: number, functionName: string, url: string) => ({
    id,
    callFrame: { functionName, url, lineNumber: 9 },
  });
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, '(idle)', ''),
      frame(3, 'query', 'file:///r/node_modules/pg/lib/client.js'),
      frame(4, 'parse', 'file:///r/node_modules/pg/lib/result.js'),
      frame(5, 'writev', ''),
      frame(6, '', 'file:///r/apps/transfer-service/dist/main.js'),
    ],
    samples: [2, 3, 4, 5, 6, 3, 2],
    timeDeltas: [5000, 1000, 1000, 3000, 1000, 2000, 7000],
  };

  it('sums self time by owner and by function, idle apart, shares of the busy time', () => {
    const summary = summarizeCpuProfile(profile);
    expect(summary.busyMs).toBe(8);
    expect(summary.idleMs).toBe(12);
    expect(summary.byPackage).toEqual([
      { name: 'pg', ms: 4, share: 0.5 },
      { name: '(native)', ms: 3, share: 0.375 },
      { name: 'apps/transfer-service', ms: 1, share: 0.125 },
    ]);
    // Every group, in its order, empty ones at 0: the groups add up to the busy time.
    expect(summary.byGroup.map((entry) => entry.name)).toEqual([...CODE_GROUPS]);
    expect(summary.byGroup.filter((entry) => entry.ms > 0)).toEqual([
      { name: 'socket and file writes', ms: 3, share: 0.375 },
      { name: "OncePay's own code (apps/, packages/)", ms: 1, share: 0.125 },
      { name: 'node-postgres', ms: 4, share: 0.5 },
    ]);
    expect(summary.byFunction.map((entry) => [entry.name, entry.ms])).toEqual([
      ['query pg/lib/client.js:10', 3],
      ['writev', 3],
      ['parse pg/lib/result.js:10', 1],
      ['(anonymous) transfer-service/dist/main.js:10', 1],
    ]);
  });

  it('keeps the top entries and sums the rest in one row, so a table adds up to the busy time', () => {
    expect(summarizeCpuProfile(profile, 1).byPackage).toEqual([
      { name: 'pg', ms: 4, share: 0.5 },
      { name: '(2 more)', ms: 4, share: 0.5 },
    ]);
  });
});

describe('a profile written by node --cpu-prof', () => {
  let dir: string;
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('is found by its pid and shows where the process spent its time', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-cpu-profile-'));
    // Under a node_modules folder, so the summary names its package as it would a dependency's.
    const script = path.join(dir, 'node_modules', 'burner', 'index.js');
    await fs.mkdir(path.dirname(script), { recursive: true });
    await fs.writeFile(
      script,
      `function burnCpuForTheProfile() { let x = 0; const end = Date.now() + 400; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }
       burnCpuForTheProfile();
       setTimeout(() => undefined, 200);`,
    );
    const profiles = path.join(dir, 'profiles');
    const child = spawnSync(process.execPath, [...cpuProfileFlags(profiles), script]);
    expect(child.status).toBe(0);

    const [found, missing] = await readServiceProfiles(profiles, [
      { name: 'burner', pid: child.pid! },
      { name: 'never ran', pid: child.pid! + 1_000_000 },
    ]);
    expect(missing).toEqual({ service: 'never ran', file: null, summary: null });
    expect(found!.service).toBe('burner');
    const summary = found!.summary!;
    expect(summary.byPackage[0]!.name).toBe('burner');
    expect(summary.byPackage[0]!.share).toBeGreaterThan(0.5);
    expect(summary.byFunction[0]!.name).toMatch(/^burnCpuForTheProfile burner\/index\.js:1$/);
    expect(summary.busyMs).toBeGreaterThan(300);
    expect(summary.idleMs).toBeGreaterThan(100);
  });
});

describe('--cpu-profile', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');

  it('writes the profiles next to the report', () => {
    const options = parseBenchOptions(['--cpu-profile', '--out', '/tmp/run'], now);
    if (options.kind !== 'bench') throw new Error(options.kind);
    expect(options.cpuProfileDir).toBe('/tmp/run/cpu-profiles');
    const without = parseBenchOptions([], now);
    expect(without.kind === 'bench' && without.cpuProfileDir).toBeNull();
  });

  it('is a usage error for the soak and the flows', () => {
    expect(parseBenchOptions(['--soak', '30s', '--cpu-profile'], now)).toMatchObject({ kind: 'usage-error' });
    expect(parseBenchOptions(['--flows', '--cpu-profile'], now)).toMatchObject({ kind: 'usage-error' });
  });

  it('reads the pid from the file name node gives a profile', () => {
    expect(pidOfProfileFile('CPU.20261201.023054.11914.0.001.cpuprofile')).toBe(11914);
    // A worker thread's profile is not the service's.
    expect(pidOfProfileFile('CPU.20261201.023054.11914.1.002.cpuprofile')).toBeNull();
    expect(pidOfProfileFile('notes.txt')).toBeNull();
  });

  it("renders each service's tables, or says which wrote none", () => {
    const byGroup = CODE_GROUPS.map((name) =>
      name === 'kafkajs' ? { name, ms: 1000, share: 0.4 } : { name, ms: 250, share: 0.6 / 7 },
    );
    const markdown = renderCpuProfiles([
      {
        service: 'ledger-service',
        file: '/tmp/run/cpu-profiles/CPU.1.2.3.0.001.cpuprofile',
        summary: {
          busyMs: 2500,
          idleMs: 7500,
          byGroup,
          byPackage: [{ name: 'kafkajs', ms: 1000, share: 0.4 }],
          byFunction: [{ name: 'writev', ms: 500, share: 0.2 }],
        },
      },
    ]).join('\n');
    expect(markdown).toMatch(/\| share of busy time +\| ledger-service \|/);
    expect(markdown).toMatch(/\| kafkajs +\| 40\.0% +\|/);
    expect(markdown).toMatch(/\| garbage collection +\| 8\.6% +\|/);
    expect(markdown).toContain('### ledger-service');
    expect(markdown).toContain('Busy 2.5 s, idle 7.5 s');
    expect(markdown).toMatch(/\| 40\.0% +\| 1000 \| kafkajs +\|/);
    expect(markdown).toMatch(/\| 20\.0% +\| 500 +\| writev +\|/);
    const none = renderCpuProfiles([{ service: 'ledger-service', file: null, summary: null }]).join('\n');
    expect(none).toMatch(/### ledger-service\n\nNo profile was written: the service did not exit normally/);
    expect(none).not.toContain('share of busy time');
  });
});
