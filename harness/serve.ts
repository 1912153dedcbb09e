// `vfio-conform serve`: any in-process backend behind the protocol of spec/protocol.md.
//
// It is the reference peer for backend authors (what a conforming server answers, byte for
// byte) and lets the suite test its own out-of-process path against the bundled simulators.
// It answers a hello in the version it was asked; version 1 knows only type1.
import { createInterface } from 'node:readline';
import { MAX_BATCH, ACCEPTED_PROTOCOLS, PROTOCOL_1_FAMILY } from '../spec/protocol.ts';
import { toPlain } from '../spec/u64.ts';
import { oneLine, type Subject } from './check.ts';

export async function serve({ family, backend }: Subject, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const send = (msg: Record<string, unknown>) => output.write(JSON.stringify(msg) + '\n');
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let id: unknown = null;
    try {
      const msg = JSON.parse(line) as Record<string, unknown>;
      id = msg.id;
      switch (msg.type) {
        case 'hello': {
          const version = msg.protocol;
          if (typeof version !== 'number' || !ACCEPTED_PROTOCOLS.includes(version)) {
            throw new Error(`protocol ${JSON.stringify(version)} is not supported (this server speaks ${[...ACCEPTED_PROTOCOLS].reverse().join(' and ')})`);
          }
          if (version === 1 && family.id !== PROTOCOL_1_FAMILY) throw new Error(`protocol 1 cannot carry a ${family.id} backend; ask for protocol 2`);
          const info = family.encodeInfo(backend.info);
          send(version === 1 ? { id, type: 'hello', protocol: 1, info } : { id, type: 'hello', protocol: version, family: family.id, info });
          break;
        }
        case 'reset':
          await backend.reset();
          send({ id, type: 'reset' });
          break;
        case 'execute': {
          if (!Array.isArray(msg.ops) || msg.ops.length > MAX_BATCH) throw new Error(`"ops" must be an array of at most ${MAX_BATCH} operations`);
          const ops = msg.ops.map((o, i) => family.decodeOp(o, `ops[${i}]`));
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
