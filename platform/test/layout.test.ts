import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('repository layout', () => {
  it.each(['.ci/run', 'README.md', 'package-lock.json', '.nvmrc'])('has %s', (file) => {
    expect(existsSync(root + file)).toBe(true);
  });
});
