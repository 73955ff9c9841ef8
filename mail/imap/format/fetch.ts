/**
 * One "* n FETCH (...)" response, item by item. Values are octet strings or bytes;
 * message bytes go out as literals ({n}, or ~{n} for binary data).
 */
import type { FetchAtt, Section } from '../protocol/ast.js';

export class FetchResponse {
  private readonly chunks: Array<string | Buffer> = [];
  private text: string;
  private first = true;

  constructor(seq: number) {
    this.text = `* ${seq} FETCH (`;
  }

  private sep(): void {
    if (!this.first) this.text += ' ';
    this.first = false;
  }

  /** NAME value (value already in IMAP syntax). */
  item(name: string, value: string): void {
    this.sep();
    this.text += `${name} ${value}`;
  }

  /**
   * NAME {n}CRLF bytes; a section the message does not have is empty (as Dovecot
   * answers), never NIL. `binary` data (BINARY of a decoded part) goes as literal8,
   * and so does anything holding a NUL, which a plain literal cannot carry.
   */
  literal(name: string, bytes: Buffer | null, binary = false): void {
    this.sep();
    if (bytes === null) bytes = Buffer.alloc(0);
    const lit8 = binary || bytes.includes(0);
    this.text += `${name} ${lit8 ? '~' : ''}{${bytes.length}}\r\n`;
    this.chunks.push(this.text, bytes);
    this.text = '';
  }

  /** The response's pieces: strings are octets (latin1). */
  finish(): Array<string | Buffer> {
    this.chunks.push(`${this.text})\r\n`);
    return this.chunks;
  }
}

function sectionSpec(s: Section): string {
  const parts = s.path.map(String);
  if (s.text !== null) parts.push(s.text);
  let spec = parts.join('.');
  if (s.text === 'HEADER.FIELDS' || s.text === 'HEADER.FIELDS.NOT') spec += ` (${s.fields.map(fieldName).join(' ')})`;
  return spec;
}

/** Field names echoed as the client wrote them: atoms stay bare, anything else quoted. */
function fieldName(name: string): string {
  return /^[!#-'+-9;-Z^-~]+$/.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/** The item's name in the response: BODY.PEEK[x]<5.10> answers as BODY[x]<5>. */
export function responseName(att: FetchAtt): string {
  switch (att.kind) {
    case 'BODY[]':
      return `BODY[${sectionSpec(att.section)}]${att.partial === null ? '' : `<${att.partial.offset}>`}`;
    case 'BINARY[]':
      return `BINARY[${att.path.join('.')}]${att.partial === null ? '' : `<${att.partial.offset}>`}`;
    case 'BINARY.SIZE':
      return `BINARY.SIZE[${att.path.join('.')}]`;
    default:
      return att.kind;
  }
}
