/**
 * RFC 5322 date-time (with the obsolete forms: 2-digit years, named zones, comments
 * and missing seconds) to milliseconds since the epoch, for SENTBEFORE/SENTON/
 * SENTSINCE and SORT. Deterministic, unlike Date.parse; null when unreadable.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ZONES = new Map([
  ['ut', 0],
  ['gmt', 0],
  ['z', 0],
  ['edt', -4],
  ['est', -5],
  ['cdt', -5],
  ['cst', -6],
  ['mdt', -6],
  ['mst', -7],
  ['pdt', -7],
  ['pst', -8],
]);
const DATE = /^(?:[a-z]+\s*,\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\s+([+-]\d{4}|[a-z]+))?/i;

function zoneMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  if (zone[0] === '+' || zone[0] === '-') {
    const sign = zone[0] === '-' ? -1 : 1;
    return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  }
  // Military and unknown zones are "-0000": no information, read as UTC.
  return (ZONES.get(zone.toLowerCase()) ?? 0) * 60;
}

export function parseDate(value: string): number | null {
  const m = DATE.exec(value.replace(/\([^)]*\)/g, ' ').trim());
  if (m === null) return null;
  const [, day, mon, yearText, hour, minute, second, zone] = m;
  const month = MONTHS.indexOf(mon!.toLowerCase());
  if (month < 0) return null;
  let year = Number(yearText);
  if (yearText!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText!.length === 3) year += 1900;
  const h = Number(hour);
  const min = Number(minute);
  const s = second === undefined ? 0 : Number(second);
  if (Number(day) < 1 || Number(day) > 31 || h > 23 || min > 59 || s > 60) return null;
  const utc = Date.UTC(year, month, Number(day), h, min, s);
  return utc - zoneMinutes(zone) * 60_000;
}
