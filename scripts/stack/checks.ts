// Named checks against a running stack (the compose smoke test, the attack run): a PASS or FAIL line
// each as it finishes, with how long it took, and the closing `N passed, N failed` CI adds up.
export class Checks {
  passed = 0;
  failed = 0;

  constructor(private readonly log: (line: string) => void) {}

  /** Runs `body`; what it returns is printed after PASS, what it throws after FAIL. */
  async check(name: string, body: () => Promise<string | void>): Promise<boolean> {
    const started = Date.now();
    try {
      const detail = await body();
      this.passed += 1;
      this.log(`PASS ${name} (${seconds(Date.now() - started)})${detail ? `: ${detail}` : ''}`);
      return true;
    } catch (error) {
      this.failed += 1;
      this.log(
        `FAIL ${name} (${seconds(Date.now() - started)}): ${error instanceof Error ? error.message : error}`,
      );
      return false;
    }
  }

  /** The line CI counts. */
  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Throws, with the answer's body, unless it has `status`. */
export function expectStatus(answer: { status: number; body: unknown }, status: number): void {
  if (answer.status !== status)
    throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
}

/** Polls `done` every 250 ms until it is true; throws, naming `what`, after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
