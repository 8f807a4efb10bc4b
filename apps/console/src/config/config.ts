// The console's environment, validated before anything starts (a bad variable: one line each, exit 1),
// and the only place it is read.
import { randomBytes } from 'node:crypto';
import { kafkaSecurityEnvShape, kafkaSecurityRules } from '@oncepay/messaging';
import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/ });

export const envSchema = z
  .object({
    // Not z.coerce alone: it reads an empty PORT as 0, a random port that no allowed Host names.
    PORT: z
      .string()
      .trim()
      .regex(/^[0-9]+$/, 'must be a port number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(65_535)),
    /**
     * The address it listens on: loopback by default, since it has no login and holds an operator's key
     * (`npm start` runs it on the host). Its container sets 0.0.0.0, its port published on 127.0.0.1.
     */
    HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Host headers it answers besides `127.0.0.1:<PORT>`, `localhost:<PORT>` and `[::1]:<PORT>`, comma
     * separated: where a browser reaches it through another port (compose's published one). Any other
     * Host gets 421, so a DNS-rebinding page cannot become same-origin with it.
     */
    CONSOLE_ALLOWED_HOSTS: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((host) => host.trim().toLowerCase())
          .filter((host) => host !== ''),
      )
      .pipe(z.array(z.string().regex(/^[^\s/@]+$/, 'a host[:port], as a browser sends it in Host'))),
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    /** Where the three services answer; the console asks each for its trail of a transfer. */
    TRANSFER_SERVICE_URL: httpUrl,
    LEDGER_SERVICE_URL: httpUrl,
    NOTIFICATION_SERVICE_URL: httpUrl,
    /** An operator's API key: the trail endpoints answer operators only. */
    CONSOLE_API_KEY: z.string().min(1),
    /** How long one service may take to answer for its trail before its lane shows "not available". */
    CONSOLE_TRAIL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    KAFKA_BROKERS: z.string().min(1),
    ...kafkaSecurityEnvShape,
    KAFKA_NAMESPACE: z
      .string()
      .regex(/^([a-z0-9-]+\.)?$/, 'must be empty or lower-case letters, digits and dashes ending in a dot')
      .default(''),
    /**
     * Names this console's consumer group (`oncepay.console.<instance>`), which must be its own: the
     * observer then receives every partition and takes none from a service. A new one per start by default.
     */
    CONSOLE_INSTANCE: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes')
      .default(() => randomBytes(4).toString('hex')),
    /** Transfers the live view keeps, most recently active first; older ones are forgotten. */
    CONSOLE_WINDOW_TRANSFERS: z.coerce.number().int().min(1).max(100_000).default(500),
    /**
     * The repository's root, where `npm run lab` can run (the local stack sets it). Unset: the lab is
     * not available, and the page says so.
     */
    CONSOLE_LAB_ROOT: z.string().min(1).optional(),
    /** Where lab runs write their reports (default `.oncepay/console-lab` under CONSOLE_LAB_ROOT). */
    CONSOLE_LAB_OUT: z.string().min(1).optional(),
    /** A lab run still going after this long is stopped (its whole process group) and shown failed. */
    CONSOLE_LAB_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(600_000),
  })
  .superRefine((env, ctx) => kafkaSecurityRules(env, ctx, env.NODE_ENV));

export type ConsoleEnv = z.output<typeof envSchema>;

/** One line per invalid variable, or the configuration. */
export function parseEnv(
  env: Record<string, string | undefined>,
): { ok: true; env: ConsoleEnv } | { ok: false; problems: string[] } {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return { ok: true, env: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`),
  };
}

/** The process environment, read here only: the lab's child process gets it as it is (its ports). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
