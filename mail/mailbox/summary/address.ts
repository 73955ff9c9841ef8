/**
 * Address lists (From, To, Cc, ...) as ENVELOPE shows them: RFC 5322 mailboxes and
 * groups, obsolete routes, comments as display names of bare addresses, and — since
 * clients must get something for every broken address — Dovecot's placeholders for
 * what is missing (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR, INVALID_ROUTE).
 * Linear in the input (no re-scanning), whatever the number of addresses.
 */
import { NUL_REPLACEMENT, Rfc822Parser, Str } from './rfc822.js';
import type { Address, Octets } from './types.js';

const DQUOTE = 0x22;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const LT = 0x3c;
const GT = 0x3e;
const AT = 0x40;

interface Draft {
  name: Octets | null;
  route: Octets | null;
  mailbox: Octets | null;
  domain: Octets | null;
  invalid: boolean;
}

function emptyDraft(): Draft {
  return { name: null, route: null, mailbox: null, domain: null, invalid: false };
}

class AddressParser {
  readonly p: Rfc822Parser;
  readonly out: Address[] = [];
  readonly str = new Str();
  addr: Draft = emptyDraft();

  constructor(value: Buffer) {
    this.p = new Rfc822Parser(value, true);
    this.p.nulReplacement = NUL_REPLACEMENT;
  }

  private add(): void {
    const { name, route, mailbox, domain } = this.addr;
    this.out.push({ name, route, mailbox, domain });
    this.addr = emptyDraft();
  }

  private addFixed(): void {
    if (this.addr.mailbox === null) this.addr.mailbox = 'MISSING_MAILBOX';
    if (this.addr.domain === null || this.addr.domain === '') this.addr.domain = 'MISSING_DOMAIN';
    this.add();
  }

  /** A dot-atom that tolerates leading, trailing and doubled dots ("a..b.", seen in the wild). */
  private looseDotAtom(): number {
    const p = this.p;
    let ret = -1;
    do {
      while (p.cur() === DOT) {
        this.str.add('.');
        p.pos++;
        if (p.pos === p.end) return 0;
        ret = 1;
      }
      if (p.cur() === AT) break;
      ret = p.parseAtom(this.str);
    } while (ret > 0 && p.cur() === DOT);
    return ret;
  }

  private localPart(): number {
    const p = this.p;
    this.str.truncate(0);
    const ret = p.cur() === DQUOTE ? p.parseQuotedString(this.str) : this.looseDotAtom();
    if (ret < 0) return -1;
    this.addr.mailbox = this.str.s;
    return ret;
  }

  private domain(): number {
    this.str.truncate(0);
    const ret = this.p.parseDomain(this.str);
    if (ret < 0) return -1;
    this.addr.domain = this.str.s;
    return ret;
  }

  /** obs-domain-list: "@a,@b" before the ":" of an obsolete route. */
  private domainList(): number {
    const p = this.p;
    this.str.truncate(0);
    for (;;) {
      if (p.pos >= p.end) return 0;
      if (p.cur() !== AT) break;
      if (this.str.length > 0) this.str.add(',');
      this.str.add('@');
      const ret = p.parseDomain(this.str);
      if (ret <= 0) return ret;
      while (p.skipLwsp() > 0 && p.cur() === COMMA) p.pos++;
    }
    this.addr.route = this.str.s;
    return 1;
  }

  private angleAddr(): number {
    const p = this.p;
    p.pos++;
    if (p.skipLwsp() <= 0) return -1;
    if (p.cur() === AT) {
      if (this.domainList() > 0 && p.cur() === COLON) {
        p.pos++;
      } else {
        this.addr.route = 'INVALID_ROUTE';
        if (p.pos >= p.end) return -1;
      }
      if (p.skipLwsp() <= 0) return -1;
    }
    if (p.cur() !== GT) {
      if (this.localPart() <= 0) return -1;
      if (p.cur() === AT && this.domain() <= 0) return -1;
    }
    if (p.cur() !== GT) return -1;
    p.pos++;
    return p.skipLwsp();
  }

  private nameAddr(): number {
    const p = this.p;
    this.str.truncate(0);
    if (p.parsePhrase(this.str) <= 0 || p.cur() !== LT) return -1;
    this.addr.name = this.str.s === '' ? null : this.str.s;
    if (this.angleAddr() < 0) this.addr.domain = 'SYNTAX_ERROR';
    return p.pos < p.end ? 1 : 0;
  }

  private addrSpec(): number {
    const p = this.p;
    const comment = p.lastComment!;
    comment.truncate(0);
    const quoted = p.cur() === DQUOTE;
    let ret = this.localPart();
    let ret2 = -2;
    if (ret <= 0) this.addr.invalid = true;
    if (ret !== 0 && p.pos < p.end && p.cur() === AT) {
      ret2 = this.domain();
      if (ret2 <= 0) ret = ret2;
    }
    if (comment.length > 0) {
      this.addr.name = comment.s;
    } else if (ret2 === -2) {
      // "user" alone is a mailbox, but "user more words" is a display name.
      this.str.add(' ');
      const before = this.str.length;
      p.parsePhrase(this.str);
      if (this.str.length !== before) {
        this.addr.mailbox = null;
        this.addr.name = this.str.s;
      } else if (!quoted) {
        this.addr.domain = '';
      }
      this.addr.invalid = true;
      ret = -1;
    }
    return ret;
  }

  private mailbox(): number {
    const p = this.p;
    const start = p.pos;
    let ret = this.nameAddr();
    if (ret < 0) {
      p.pos = start;
      ret = this.addrSpec();
      const a = this.addr;
      if (a.invalid && a.name === null && a.mailbox !== null && a.domain === null) {
        a.name = a.mailbox;
        a.mailbox = null;
      }
    }
    this.addFixed();
    return ret;
  }

  private group(): number {
    const p = this.p;
    this.str.truncate(0);
    if (p.parsePhrase(this.str) <= 0 || p.cur() !== COLON) return -1;
    // From here on this is a group, even if broken.
    p.pos++;
    let ret = p.skipLwsp();
    this.addr.mailbox = this.str.s;
    this.add();
    if (ret > 0 && p.cur() !== SEMICOLON) {
      for (;;) {
        this.mailbox();
        if (p.pos >= p.end || p.cur() !== COMMA) break;
        p.pos++;
        if (p.skipLwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (p.pos >= p.end || p.cur() !== SEMICOLON) {
        ret = -1;
      } else {
        p.pos++;
        ret = p.skipLwsp();
      }
    }
    this.add();
    return ret === 0 ? 0 : 1;
  }

  private address(): number {
    const start = this.p.pos;
    const ret = this.group();
    if (ret >= 0) return ret;
    this.p.pos = start;
    return this.mailbox();
  }

  parseList(): void {
    const p = this.p;
    if (p.skipLwsp() <= 0) return;
    for (;;) {
      if (this.address() === 0) return;
      if (p.pos >= p.end || p.cur() !== COMMA) return;
      p.pos++;
      const ret = p.skipLwsp();
      if (ret <= 0) {
        // A list ending in garbage still yields an address.
        if (ret < 0) this.addFixed();
        return;
      }
    }
  }
}

/** The addresses of one header value; null when it holds none. */
export function parseAddresses(value: Buffer): Address[] | null {
  const parser = new AddressParser(value);
  parser.parseList();
  return parser.out.length > 0 ? parser.out : null;
}
