import { ContentError } from "./errors.js";

/** licensor's protected container (docs/formats.md, "Protected file"). */
export const FORMAT = "licensor-protected/1";
const MAGIC = new TextEncoder().encode(FORMAT + "\n");
export const MAX_HEADER = 256 * 1024;
export const MAX_CONTENT_BYTES = 512 * 1024 * 1024;

export interface ContainerHeader {
  format?: string;
  tenant: string;
  contentId: string;
  kid?: string;
  publishingLicense: string;
  iv: string;
  name?: string;
}

export interface Container {
  header: ContainerHeader;
  /** Every byte before the ciphertext: the AES-GCM associated data. */
  prefix: Uint8Array;
  ciphertext: Uint8Array;
}

export function b64u(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64u(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function prefixOf(headerJson: Uint8Array): Uint8Array {
  const p = new Uint8Array(MAGIC.length + 4 + headerJson.length);
  p.set(MAGIC, 0);
  new DataView(p.buffer).setUint32(MAGIC.length, headerJson.length);
  p.set(headerJson, MAGIC.length + 4);
  return p;
}

/** Encrypts content into a container (AES-256-GCM under the raw 32-byte content key, the header as associated data). */
export async function seal(header: Omit<ContainerHeader, "iv" | "format">, contentKey: Uint8Array, content: Uint8Array): Promise<Uint8Array> {
  if (content.length > MAX_CONTENT_BYTES) throw new RangeError(`the content is larger than ${MAX_CONTENT_BYTES >> 20} MiB`);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const full: ContainerHeader = { format: FORMAT, tenant: header.tenant, contentId: header.contentId, kid: header.kid,
    publishingLicense: header.publishingLicense, iv: b64u(iv), ...(header.name !== undefined ? { name: header.name } : {}) };
  const prefix = prefixOf(new TextEncoder().encode(JSON.stringify(full)));
  const key = await crypto.subtle.importKey("raw", contentKey as BufferSource, "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv as BufferSource, additionalData: prefix as BufferSource, tagLength: 128 }, key, content as BufferSource));
  const out = new Uint8Array(prefix.length + sealed.length);
  out.set(prefix, 0);
  out.set(sealed, prefix.length);
  return out;
}

const notProtected = () => new ContentError("not a licensor-protected file (licensor protect makes them)", false);

/** Reads a container's header; input that is not one is a ContentError. */
export function read(bytes: Uint8Array): Container {
  if (bytes.length < MAGIC.length + 4) throw notProtected();
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw notProtected();
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  const start = MAGIC.length + 4;
  if (length <= 0 || length > MAX_HEADER || start + length > bytes.length) throw notProtected();
  let header: ContainerHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, start + length)));
  } catch {
    throw notProtected();
  }
  if (header === null || typeof header !== "object") throw notProtected();
  for (const m of ["tenant", "contentId", "publishingLicense", "iv"] as const) {
    if (typeof header[m] !== "string") throw notProtected();
  }
  return { header, prefix: bytes.slice(0, start + length), ciphertext: bytes.slice(start + length) };
}

/** The content, if the key is right and nothing (header or content) was changed. */
export async function unseal(c: Container, contentKey: Uint8Array): Promise<Uint8Array> {
  const tampered = new ContentError("the protected file was changed or damaged: its content does not decrypt with the licensed key, so nothing was written", true);
  let iv: Uint8Array;
  try {
    iv = fromB64u(c.header.iv);
  } catch {
    throw tampered;
  }
  if (iv.length !== 12) throw tampered;
  const key = await crypto.subtle.importKey("raw", contentKey as BufferSource, "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: iv as BufferSource, additionalData: c.prefix as BufferSource, tagLength: 128 }, key, c.ciphertext as BufferSource));
  } catch {
    throw tampered;
  }
}
