// A minimal protobuf wire-format reader (varint, 64-bit, length-delimited, 32-bit), just
// enough for the Kubernetes messages kubectl's typed `create` commands send.
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export interface WireField {
  no: number;
  wireType: 0 | 1 | 2 | 5;
  /** varint value (as bigint to keep int64 exact) */
  varint?: bigint;
  bytes?: Buffer;
}

export function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufError('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw new ProtobufError('varint too long');
}

export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (no === 0) throw new ProtobufError('field number 0');
    switch (wireType) {
      case 0: {
        const [v, p] = readVarint(buf, pos);
        pos = p;
        out.push({ no, wireType, varint: v });
        break;
      }
      case 1:
        if (pos + 8 > buf.length) throw new ProtobufError('truncated fixed64');
        out.push({ no, wireType, bytes: buf.subarray(pos, pos + 8) });
        pos += 8;
        break;
      case 2: {
        const [len, p] = readVarint(buf, pos);
        const end = p + Number(len);
        if (len > BigInt(buf.length) || end > buf.length) throw new ProtobufError('truncated length-delimited field');
        out.push({ no, wireType, bytes: buf.subarray(p, end) });
        pos = end;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw new ProtobufError('truncated fixed32');
        out.push({ no, wireType, bytes: buf.subarray(pos, pos + 4) });
        pos += 4;
        break;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }
  return out;
}
