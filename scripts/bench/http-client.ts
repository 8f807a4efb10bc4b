// The load generator's HTTP client: node:http over keep-alive connections, JSON in and out, nothing
// else. It shares the machine with what it measures, so it stays cheap: no fetch streams, no retries
// (a benchmark counts a failure, it does not hide it behind a second attempt).
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export class JsonHttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  /** maxSockets bounds the connections; requests beyond it wait for one, and that wait is measured. */
  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    { maxSockets = 256, timeoutMs = 30_000 }: { maxSockets?: number; timeoutMs?: number } = {},
  ) {
    this.base = new URL(baseUrl);
    this.timeoutMs = timeoutMs;
    this.agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${this.apiKey}`,
            ...headers,
          },
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A short, stable label for a failed request: `HTTP 503`, `timeout`, `ECONNREFUSED`... */
export function failureLabel(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message.slice(0, 60) : String(error).slice(0, 60);
}
