/** ASCII-only case folding, as the C string functions Dovecot uses do (8-bit bytes stay as they are). */

function lowerCode(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (lowerCode(s.charCodeAt(i)) !== s.charCodeAt(i)) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) out += String.fromCharCode(lowerCode(s.charCodeAt(j)));
      return out;
    }
  }
  return s;
}

export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (lowerCode(a.charCodeAt(i)) !== lowerCode(b.charCodeAt(i))) return false;
  return true;
}
