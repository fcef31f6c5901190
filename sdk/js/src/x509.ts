/**
 * Just enough X.509 (DER) to check a delegated signing key's certificate (docs/formats.md,
 * "Delegated signing"): the signed part, the signature and its algorithm, the issuer's and
 * subject's CN, the validity, and the subject's public key.
 */

interface Node {
  tag: number;
  start: number; // of the whole element (tag byte)
  contentStart: number;
  end: number;
}

function element(der: Uint8Array, at: number): Node {
  if (at + 2 > der.length) throw new Error("truncated DER");
  const tag = der[at];
  let length = der[at + 1];
  let contentStart = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || contentStart + n > der.length) throw new Error("bad DER length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[contentStart + i];
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error("truncated DER");
  return { tag, start: at, contentStart, end };
}

function children(der: Uint8Array, parent: Node): Node[] {
  const out: Node[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const e = element(der, at);
    out.push(e);
    at = e.end;
  }
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const OID_CN = "550403";
export const SIG_RSASSA_PSS = "2a864886f70d01010a";
export const SIG_ECDSA_SHA256 = "2a8648ce3d040302";
export const SIG_ECDSA_SHA384 = "2a8648ce3d040303";

export interface Certificate {
  tbs: Uint8Array;
  signatureAlgorithm: string; // hex of the OID
  signature: Uint8Array;
  issuerCn?: string;
  subjectCn?: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
}

function cn(der: Uint8Array, name: Node): string | undefined {
  for (const set of children(der, name)) {
    for (const atv of children(der, set)) {
      const [oid, value] = children(der, atv);
      if (oid && value && hex(der.subarray(oid.contentStart, oid.end)) === OID_CN) {
        return new TextDecoder().decode(der.subarray(value.contentStart, value.end));
      }
    }
  }
  return undefined;
}

function time(der: Uint8Array, t: Node): Date {
  const s = new TextDecoder().decode(der.subarray(t.contentStart, t.end));
  const m = t.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new Error("bad certificate time " + s);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export function parseCertificate(der: Uint8Array): Certificate {
  const cert = element(der, 0);
  const [tbs, alg, sig] = children(der, cert);
  if (!tbs || !alg || !sig || sig.tag !== 0x03) throw new Error("not an X.509 certificate");
  const fields = children(der, tbs);
  let i = fields[0].tag === 0xa0 ? 1 : 0; // [0] version
  i++; // serial
  i++; // signature algorithm (again)
  const issuer = fields[i++];
  const validity = children(der, fields[i++]);
  const subject = fields[i++];
  const spki = fields[i++];
  const algOid = children(der, alg)[0];
  return {
    tbs: der.slice(tbs.start, tbs.end),
    signatureAlgorithm: hex(der.subarray(algOid.contentStart, algOid.end)),
    signature: der.slice(sig.contentStart + 1, sig.end), // the BIT STRING's unused-bits byte is 0
    issuerCn: cn(der, issuer),
    subjectCn: cn(der, subject),
    notBefore: time(der, validity[0]),
    notAfter: time(der, validity[1]),
    spki: der.slice(spki.start, spki.end),
  };
}

/** An ECDSA signature in DER (SEQUENCE of two INTEGERs) as WebCrypto wants it: r || s, each `size` bytes. */
export function ecdsaRaw(derSig: Uint8Array, size: number): Uint8Array {
  const seq = element(derSig, 0);
  const [r, s] = children(derSig, seq);
  const out = new Uint8Array(size * 2);
  for (const [k, n] of [[0, r], [1, s]] as const) {
    let v = derSig.subarray(n.contentStart, n.end);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new Error("bad ECDSA signature");
    out.set(v, k * size + (size - v.length));
  }
  return out;
}
