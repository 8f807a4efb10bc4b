// `npm run api-key -- <client id> <role>`: mints a random API key (32 bytes) for a client and prints the
// API_KEYS entry that holds only its SHA-256, so the services' configuration never holds a usable key.
// Give the key to the client once; it is not stored anywhere.
import { mintApiKey, ROLES, type Role } from '@oncepay/http-edge';

const USAGE = `Usage: npm run api-key -- <client id> <role>    (role: ${ROLES.join(' or ')})`;

function main(argv: string[]): number {
  const [clientId, role, ...rest] = argv;
  if (!clientId || !role || rest.length > 0 || !(ROLES as readonly string[]).includes(role)) {
    console.error(USAGE);
    return 2;
  }
  try {
    const { key, entry } = mintApiKey(clientId, role as Role);
    console.log(`API key for ${clientId} (${role}), shown once: ${key}`);
    console.log(`Add this entry to API_KEYS (comma-separated) on every service: ${entry}`);
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
