// `vfio-conform serve`: any in-process backend behind the protocol of spec/protocol.md.
//
// It is the reference peer for backend authors (what a conforming server answers, byte for
// byte) and lets the suite test its own out-of-process path against the bundled simulators.
import { createInterface } from 'node:readline';
import type { Backend } from '../spec/type1/backend.ts';
import { ACCEPTED_PROTOCOLS, encodeInfo, MAX_BATCH } from '../spec/protocol.ts';
import { decodeOp, toPlain } from '../spec/type1/wire.ts';
import { oneLine } from './check.ts';

export async function serve(backend: Backend, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const send = (msg: Record<string, unknown>) => output.write(JSON.stringify(msg) + '\n');
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let id: unknown = null;
    try {
      const msg = JSON.parse(line) as Record<string, unknown>;
      id = msg.id;
      switch (msg.type) {
        case 'hello':
          if (typeof msg.protocol !== 'number' || !ACCEPTED_PROTOCOLS.includes(msg.protocol)) {
            throw new Error(`protocol ${JSON.stringify(msg.protocol)} is not supported (this server speaks ${ACCEPTED_PROTOCOLS.join(' and ')})`);
          }
          send({ id, type: 'hello', protocol: msg.protocol, ...(msg.protocol === 1 ? {} : { family: 'type1' }), info: encodeInfo(backend.info) });
          break;
        case 'reset':
          await backend.reset();
          send({ id, type: 'reset' });
          break;
        case 'execute': {
          if (!Array.isArray(msg.ops) || msg.ops.length > MAX_BATCH) throw new Error(`"ops" must be an array of at most ${MAX_BATCH} operations`);
          const ops = msg.ops.map((o, i) => decodeOp(o, `ops[${i}]`));
          send({ id, type: 'results', results: toPlain(await backend.execute(ops)) as unknown[] });
          break;
        }
        case 'bye':
          send({ id, type: 'bye' });
          await backend.dispose?.();
          return;
        default:
          throw new Error(`unknown request type ${JSON.stringify(msg.type)}`);
      }
    } catch (err) {
      send({ id, type: 'error', message: oneLine(err) });
    }
  }
  await backend.dispose?.();
}
