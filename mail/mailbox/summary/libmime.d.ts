// libmime ships no types; this is the one function the summary uses.
declare module 'libmime' {
  const libmime: {
    /** Decodes RFC 2047 encoded words in a header value. */
    decodeWords(value: string): string;
  };
  export default libmime;
}
