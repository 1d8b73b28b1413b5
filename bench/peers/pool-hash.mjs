// The CPU-heavy tool of bench:pool: SHA-256 over 1 MiB, `rounds` times (the "hashing 1 MiB"); a tool result.
import { createHash } from 'node:crypto';

const block = Buffer.alloc(1024 * 1024, 7);

export function hash({ rounds = 1 } = {}) {
  let digest = '';
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(block).update(digest).digest('hex');
  return { content: [{ type: 'text', text: digest }] };
}
