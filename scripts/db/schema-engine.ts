// The one place that talks to Prisma's schema engine. The CLI's native engine is a binary it would
// download (this machine cannot), so we drive the WebAssembly build from @prisma/schema-engine-wasm,
// which reaches PostgreSQL through the pg driver adapter. Every call opens its own engine and pools
// and closes them before returning, so nothing is left to keep node or jest alive.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type {
  DiffTarget,
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
  SchemasContainer,
} from '@prisma/schema-engine-wasm' with { 'resolution-mode': 'import' }; // an ES module package
import pg from 'pg';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The SQL that takes a database built by the existing migrations to the schema ('' when none),
 * as `prisma migrate dev --create-only` computes it: the engine replays the migrations on the
 * shadow database, then diffs the result against the schema. The shadow database must exist and
 * be empty (the engine does not reset it); the caller creates it and drops it afterwards.
 */
export async function diffSchemaToMigrationSql(opts: {
  schemaPath: string;
  migrationsDir: string;
  shadowDatabaseUrl: string;
}): Promise<string> {
  const [schema, migrations] = await Promise.all([
    readSchema(opts.schemaPath),
    readMigrationsList(opts.migrationsDir),
  ]);
  await assertEmptyDatabase(opts.shadowDatabaseUrl);
  // A diff between migrations and a datamodel touches no other database, but the engine connects
  // at start-up, so its main connection goes to the shadow database too.
  const urls = { main: opts.shadowDatabaseUrl, shadow: opts.shadowDatabaseUrl };
  return withEngine(urls, (engine) =>
    diffScript(
      engine,
      { tag: 'migrations', ...withProviderHint(migrations) },
      { tag: 'schemaDatamodel', ...schema },
    ),
  );
}

/**
 * Applies the pending migrations of `migrationsDir`, recording each in `_prisma_migrations`
 * (checksum, started/finished times) exactly as `prisma migrate deploy`; returns the names applied.
 */
export async function applyMigrations(opts: {
  databaseUrl: string;
  migrationsDir: string;
}): Promise<string[]> {
  const migrationsList = await readMigrationsList(opts.migrationsDir);
  const { appliedMigrationNames } = await withEngine({ main: opts.databaseUrl }, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
  );
  return appliedMigrationNames;
}

/** The SQL that would bring the live database to the schema; '' when they already match. */
export async function pendingSchemaDiff(opts: { databaseUrl: string; schemaPath: string }): Promise<string> {
  const schema = await readSchema(opts.schemaPath);
  // `schemaDatasource` means "the database the schema's datasource points at", which for the wasm
  // engine is the adapter's connection (Prisma 7 schemas carry no url, and url targets are refused).
  const live: DiffTarget = { tag: 'schemaDatasource', ...schema, configDir: path.dirname(opts.schemaPath) };
  return withEngine({ main: opts.databaseUrl }, (engine) =>
    diffScript(engine, live, { tag: 'schemaDatamodel', ...schema }),
  );
}

// ---------------------------------------------------------------------------------------------
// Inputs: the schema and the migrations folder, shaped as the Prisma CLI hands them to the engine
// ---------------------------------------------------------------------------------------------

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };
const LOCK_FILE = 'migration_lock.toml';
const MIGRATION_FILE = 'migration.sql';

async function readSchema(schemaPath: string): Promise<SchemasContainer> {
  return { files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }] };
}

/** Mirrors the CLI: a missing folder is an empty history; unreadable migration files are reported by the engine. */
async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockContent = await readFile(path.join(baseDir, LOCK_FILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  // Migrations apply in folder-name order; the timestamp prefix makes that chronological.
  names.sort((a, b) => a.localeCompare(b));
  return {
    baseDir,
    lockfile: { path: LOCK_FILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(names.map((name) => readMigrationDirectory(baseDir, name))),
  };
}

async function readMigrationDirectory(baseDir: string, name: string): Promise<MigrationDirectory> {
  const content = await readFile(path.join(baseDir, name, MIGRATION_FILE), 'utf8').then(
    (value) => ({ tag: 'ok' as const, value }),
    (error: unknown) => ({
      tag: 'error' as const,
      value: error instanceof Error ? error.message : String(error),
    }),
  );
  return { path: name, migrationFile: { path: MIGRATION_FILE, content } };
}

/**
 * The engine learns the provider of a migrations folder from its lock file and refuses a diff
 * without one. Before the first migration there is none yet (the caller writes it with that
 * migration), so we state the provider it will record.
 */
function withProviderHint(list: MigrationList): MigrationList {
  if (list.lockfile.content !== null) return list;
  return { ...list, lockfile: { ...list.lockfile, content: 'provider = "postgresql"\n' } };
}

/** The engine replays migrations onto the shadow database as is; leftovers would fail as "already exists". */
async function assertEmptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        LIMIT 1`,
    );
    const found = rows[0];
    if (found)
      throw new Error(`The shadow database is not empty (found ${found.name}); pass a freshly created one.`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Running the engine
// ---------------------------------------------------------------------------------------------

async function diffScript(engine: SchemaEngine, from: DiffTarget, to: DiffTarget): Promise<string> {
  // With exitCode requested the engine answers 2 for a non-empty diff and 0 for none, which is
  // sturdier than recognising its "-- This is an empty migration." placeholder.
  const result = await engine.diff({ from, to, script: true, exitCode: true, filters: NO_FILTER });
  return result.exitCode === 0 ? '' : (result.stdout ?? '');
}

interface DatabaseUrls {
  /** The database the engine works on. */
  main: string;
  /** Handed out when the engine asks for a shadow database; absent where none should be needed. */
  shadow?: string;
}

/** Starts an engine on `urls`, runs one command, then frees the engine and closes every pool it opened. */
async function withEngine<T>(urls: DatabaseUrls, run: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const glue = await loadEngineGlue();
  const adapters = new OpenAdapters();
  try {
    const factory = bindMigrationAwareSqlAdapterFactory(adapters.factoryFor(urls));
    // The engine logs INFO tracing lines through this callback; failures come back as rejections.
    const engine = await glue.SchemaEngine.new({ datamodels: undefined }, () => undefined, factory);
    try {
      // Call methods on the engine object itself: wasm-bindgen methods need their `this`.
      return await run(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw explainEngineError(error);
  } finally {
    // `free()` drops the engine's handles but never disposes the adapters, whose pg pools would
    // otherwise hold the event loop open.
    await adapters.disposeAll();
  }
}

/** Hands the engine pg adapters and remembers each one so it can be closed after the command. */
class OpenAdapters {
  private readonly disposers: Array<() => Promise<void>> = [];

  factoryFor(urls: DatabaseUrls): SqlMigrationAwareDriverAdapterFactory {
    const shadow = urls.shadow;
    return {
      provider: 'postgres',
      adapterName: new PrismaPg(urls.main).adapterName,
      connect: () => this.open(urls.main),
      connectToShadowDb: () =>
        shadow
          ? this.open(shadow)
          : Promise.reject(new Error('This schema engine command needs no shadow database.')),
    };
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.disposers.splice(0).map((dispose) => dispose()));
  }

  private async open(url: string): Promise<SqlDriverAdapter> {
    const adapter = await openPgAdapter(url);
    // The engine may dispose an adapter itself too; a pg pool must be ended only once.
    let disposed: Promise<void> | undefined;
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = () => (disposed ??= dispose());
    this.disposers.push(adapter.dispose);
    return adapter;
  }
}

/** Postgres type oids the engine meets in catalog queries. */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** A pg adapter, with two fixes the schema engine needs (adapter-pg is built for the query engine). */
async function openPgAdapter(url: string): Promise<SqlDriverAdapter> {
  // One connection, like the native engine: the migration advisory lock and any session settings
  // a migration makes then belong to the session that runs the rest.
  const adapter = await new PrismaPg({ connectionString: url, max: 1 }).connect();
  // Fix 1: the engine's catalog queries return `"char"` columns (pg_class.relkind and friends),
  // which adapter-pg rejects ("Column type 'char' could not be deserialized"). Their values
  // arrive as one-letter strings, so we relabel the column type as text before adapter-pg reads it.
  adapter.underlyingDriver().on('connect', (client: pg.PoolClient) => {
    client.connection.prependListener('rowDescription', (message: { fields: pg.FieldDef[] }) => {
      for (const field of message.fields)
        if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    });
  });
  // Fix 2: adapter-pg's executeScript splits the script on every ';', which breaks dollar-quoted
  // function bodies. Sent whole without parameters, pg uses the simple query protocol, which runs
  // a multi-statement script in one implicit transaction, as the native engine does.
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

function explainEngineError(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'RuntimeError') return error;
  // A Rust panic aborts the wasm instance mid-call and may leave its memory inconsistent: start
  // the next command on a fresh instance, and report the panic message the glue recorded.
  engineGlue = undefined;
  return new Error(`Prisma schema engine panicked: ${panicRegistry().get() || error.message}`, {
    cause: error,
  });
}

// ---------------------------------------------------------------------------------------------
// Loading the WebAssembly engine
// ---------------------------------------------------------------------------------------------

/** What we use of the wasm-bindgen glue module (schema_engine_bg.js). */
interface EngineGlue {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: typeof SchemaEngine;
}

/** The few WebAssembly globals we call; lib ES2022 and @types/node 20 do not declare them. */
type WasmExports = Record<string, unknown>;
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: WasmExports } }>;
}

let engineGlue: Promise<EngineGlue> | undefined;

/** Instantiates the engine once per process (module registry, under jest); it is ~5 MB of wasm. */
function loadEngineGlue(): Promise<EngineGlue> {
  engineGlue ??= instantiateEngine().catch((error: unknown) => {
    engineGlue = undefined;
    throw error;
  });
  return engineGlue;
}

/** Does what the package's ESM entry does (`import * as wasm from './schema_engine_bg.wasm'`), by hand. */
async function instantiateEngine(): Promise<EngineGlue> {
  // The `require` condition of the package's exports map resolves this subpath to the glue file.
  const glueFile = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const [glueSource, wasmBytes] = await Promise.all([
    readFile(glueFile, 'utf8'),
    readFile(path.join(path.dirname(glueFile), 'schema_engine_bg.wasm')),
  ]);
  const glue = evaluateGlue(glueSource);
  panicRegistry();
  const webAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  // The .wasm imports every host function from the module named after the glue file.
  const { instance } = await webAssembly.instantiate(wasmBytes, { './schema_engine_bg.js': glue.imports });
  glue.api.__wbg_set_wasm(instance.exports);
  const start = instance.exports['__wbindgen_start'];
  if (typeof start !== 'function') throw new Error('schema_engine_bg.wasm exports no __wbindgen_start');
  start();
  return glue.api;
}

/**
 * Node 20 cannot import a .wasm file, and jest on Node 20 cannot require this ES module (the package
 * is "type": "module"), so we evaluate the glue source ourselves: drop its `export` keywords and
 * return the exported names as one object. `new Function` compiles in the caller's realm, which
 * matters under jest: the glue's `instanceof Promise`/`Error` checks must see the same globals as
 * the pg adapter whose promises and errors it receives.
 */
function evaluateGlue(source: string): { imports: Record<string, unknown>; api: EngineGlue } {
  const exportDeclaration = /^export (function|class) ([A-Za-z_$][\w$]*)/gm;
  const names = Array.from(source.matchAll(exportDeclaration), (match) => match[2] ?? '');
  const body = source.replace(exportDeclaration, '$1 $2');
  if (/^\s*(import|export)\b/m.test(body)) {
    throw new Error('@prisma/schema-engine-wasm glue has module syntax evaluateGlue does not handle');
  }
  const factory = new Function('setTimeout', `"use strict";\n${body}\nreturn { ${names.join(', ')} };`) as (
    timer: typeof unrefTimeout,
  ) => unknown;
  const imports = factory(unrefTimeout) as Record<string, unknown>;
  if (typeof imports['__wbg_set_wasm'] !== 'function' || typeof imports['SchemaEngine'] !== 'function') {
    throw new Error('@prisma/schema-engine-wasm glue lacks __wbg_set_wasm or SchemaEngine');
  }
  return { imports, api: imports as unknown as EngineGlue };
}

/**
 * The glue's only timer source. applyMigrations races its advisory-lock query against a 10 s
 * timeout that the engine never clears; unref'd, that timer no longer keeps node (or a jest
 * worker) alive for 10 s after the command. While a command runs, its pg socket keeps node up.
 */
function unrefTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(callback, ms).unref();
}

interface PanicRegistry {
  get(): string;
  set_message(message: string): void;
}

/**
 * The glue reports a Rust panic's message to this global before the wasm traps; the Prisma CLI
 * installs it, and without it a panic surfaces as an unrelated TypeError.
 */
function panicRegistry(): PanicRegistry {
  const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  if (!holder.PRISMA_WASM_PANIC_REGISTRY) {
    let message = '';
    holder.PRISMA_WASM_PANIC_REGISTRY = {
      get: () => message,
      set_message: (value) => {
        message = value;
      },
    };
  }
  return holder.PRISMA_WASM_PANIC_REGISTRY;
}
