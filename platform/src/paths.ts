import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the repository, from its repository-relative path. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}
