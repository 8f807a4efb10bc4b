// Where the local stack keeps its files: everything lives under one ignored folder so `--fresh` can wipe it.
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DATA_DIR = path.join(REPO_ROOT, '.oncepay');
