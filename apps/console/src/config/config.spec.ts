// Proves the console's environment defaults to the safe side: it listens on loopback unless told
// otherwise, answers no extra Host unless listed, and stops a lab run after ten minutes; a malformed
// allowed host is refused at start, one line for it, and so is a PORT that is blank, zero or no number.
import { parseEnv } from './config';

const REQUIRED = {
  PORT: '3003',
  TRANSFER_SERVICE_URL: 'http://127.0.0.1:3000',
  LEDGER_SERVICE_URL: 'http://127.0.0.1:3001',
  NOTIFICATION_SERVICE_URL: 'http://127.0.0.1:3002',
  CONSOLE_API_KEY: 'oncepay-dev-key-ops',
  KAFKA_BROKERS: '127.0.0.1:9092',
};

describe("the console's environment", () => {
  it('listens on 127.0.0.1, with no extra hosts and a ten-minute lab limit, unless told otherwise', () => {
    const parsed = parseEnv(REQUIRED);
    expect(parsed.ok && parsed.env).toMatchObject({
      HOST: '127.0.0.1',
      CONSOLE_ALLOWED_HOSTS: [],
      CONSOLE_LAB_TIMEOUT_MS: 600_000,
    });
  });

  it('reads CONSOLE_ALLOWED_HOSTS as a comma list, lower-cased, and refuses one that is no host', () => {
    const parsed = parseEnv({
      ...REQUIRED,
      HOST: '0.0.0.0',
      CONSOLE_ALLOWED_HOSTS: ' 127.0.0.1:49152, Console.Lan ,',
    });
    expect(parsed.ok && parsed.env).toMatchObject({
      HOST: '0.0.0.0',
      CONSOLE_ALLOWED_HOSTS: ['127.0.0.1:49152', 'console.lan'],
    });
    const bad = parseEnv({ ...REQUIRED, CONSOLE_ALLOWED_HOSTS: 'http://console.lan/' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      expect.stringMatching(/^ {2}CONSOLE_ALLOWED_HOSTS.*: a host\[:port\]/),
    ]);
  });

  it.each(['', ' ', '0', '3003x', '70000'])('refuses PORT=%j, which no allowed Host would name', (port) => {
    const parsed = parseEnv({ ...REQUIRED, PORT: port });
    expect(parsed.ok ? [] : parsed.problems).toEqual([expect.stringMatching(/^ {2}PORT/)]);
  });
});
