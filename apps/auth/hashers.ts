/**
 * Password hashing compatible with Django's default hasher, `pbkdf2_sha256`:
 * `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, PBKDF2-HMAC-SHA256 through WebCrypto, so
 * users move between a Django project and this one with their passwords.
 *
 * @module
 */

/** The algorithm's name in encoded hashes. */
export const ALGORITHM = "pbkdf2_sha256";

/** The iteration count of new hashes: Django 6.0's. */
export const ITERATIONS = 1_200_000;

const SALT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const encoder = new TextEncoder();

/** A random salt as Django makes it: 22 letters and digits (over 128 bits). */
export function makeSalt(length = 22): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const out: string[] = [];
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && out.length < length) out.push(SALT_CHARS[byte % SALT_CHARS.length]);
    }
  }
  return out.join("");
}

async function pbkdf2(password: string, salt: string, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations },
    key,
    256,
  );
  return btoa(String.fromCharCode(...new Uint8Array(bits)));
}

/**
 * Hashes a password: `pbkdf2_sha256$1200000$<salt>$<hash>`.
 *
 * @example
 * ```ts
 * import { makePassword } from "./hashers.ts";
 *
 * const encoded = await makePassword("correct horse battery staple", { iterations: 1000 });
 * console.assert(encoded.startsWith("pbkdf2_sha256$1000$"));
 * ```
 */
export async function makePassword(
  password: string,
  { salt = makeSalt(), iterations = ITERATIONS }: { salt?: string; iterations?: number } = {},
): Promise<string> {
  if (salt.includes("$")) throw new Error("A salt cannot contain '$'");
  return `${ALGORITHM}$${iterations}$${salt}$${await pbkdf2(password, salt, iterations)}`;
}

/** Compares two strings in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The parts of an encoded hash, or undefined when it is not a `pbkdf2_sha256` hash. */
export function decodeHash(
  encoded: string,
): { iterations: number; salt: string; hash: string } | undefined {
  const parts = encoded.split("$");
  if (parts.length !== 4 || parts[0] !== ALGORITHM) return undefined;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1) return undefined;
  return { iterations, salt: parts[2], hash: parts[3] };
}

/**
 * Whether `password` matches `encoded` (made here or by Django). Unusable and unknown hashes
 * match nothing.
 *
 * @example
 * ```ts
 * import { checkPassword } from "./hashers.ts";
 *
 * const django = "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=";
 * console.assert(await checkPassword("lètmein", django));
 * ```
 */
export async function checkPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decodeHash(encoded);
  if (!decoded) return false;
  return constantTimeEqual(await pbkdf2(password, decoded.salt, decoded.iterations), decoded.hash);
}

/** Whether a hash should be made again with the current iteration count (after a login). */
export function mustUpdate(encoded: string): boolean {
  return decodeHash(encoded)?.iterations !== ITERATIONS;
}

/** The marker of a password that can never match (Django's `set_unusable_password`). */
export function unusablePassword(): string {
  return `!${makeSalt(40)}`;
}
