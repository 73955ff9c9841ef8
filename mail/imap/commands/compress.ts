/** COMPRESS=DEFLATE (RFC 4978): both directions go through raw DEFLATE right after the tagged OK. */
import { bad, no } from '../errors.js';
import type { CommandOf } from '../protocol/ast.js';
import type { Done, Session } from '../session/session.js';

export async function compress(s: Session, cmd: CommandOf<'COMPRESS'>): Promise<Done> {
  if (!s.ctx.compress || cmd.mechanism !== 'DEFLATE') throw bad(`Unsupported compression mechanism ${cmd.mechanism}`);
  if (s.compressed) throw no('Compression is already active', 'COMPRESSIONACTIVE');
  return { text: 'DEFLATE active', after: () => s.startCompression() };
}


