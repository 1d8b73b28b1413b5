/**
 * What a POST body is, without parsing it: the core's envelope scan (native, or the twin) checks the whole JSON syntax
 * and reports the top-level kind, id and method in one pass over the bytes. The session parses the text once, later;
 * the HTTP layer parses only bodies it must look inside (batches, requests without a session).
 */

import { Kind, type KindCode, ValueType } from '../../../native/binding-types.js';
import { core } from '../../../native/index.js';

export interface BodyEnvelope {
  readonly kind: KindCode;
  /** The request id (string or number), when the body is one request with a valid id. */
  readonly id: string | number | undefined;
  /** True when an `id` member is present but not a string or number (null, object, …). */
  readonly badId: boolean;
  readonly method: string | undefined;
}

const out = new Int32Array(8);

function span(body: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped
    ? (JSON.parse(body.toString('utf8', start - 1, end + 1)) as string)
    : body.toString('utf8', start, end);
}

export function classifyBody(body: Buffer): BodyEnvelope {
  core.scanEnvelope(body, out);
  const packed = out[0] as number;
  const kind = (packed & 0xf) as KindCode;
  if (kind === Kind.INVALID || kind === Kind.BATCH) return { kind, id: undefined, badId: false, method: undefined };
  const idType = (packed >> 4) & 0xf;
  const methodType = (packed >> 12) & 0xf;
  let id: string | number | undefined;
  let badId = false;
  if (idType === ValueType.NUMBER) id = Number(body.toString('latin1', out[1], out[2]));
  else if (idType === ValueType.STRING) id = span(body, out[1] as number, out[2] as number, ((packed >> 8) & 1) === 1);
  else if (idType !== ValueType.ABSENT) badId = true;
  const method =
    methodType === ValueType.STRING
      ? span(body, out[3] as number, out[4] as number, ((packed >> 16) & 1) === 1)
      : undefined;
  return { kind, id, badId, method };
}
