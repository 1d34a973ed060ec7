import assert from "node:assert/strict";
import {
  checkPassword,
  constantTimeEqual,
  decodeHash,
  ITERATIONS,
  makePassword,
  makeSalt,
  mustUpdate,
  unusablePassword,
} from "../../../apps/auth/hashers.ts";

// Made by Django 5.2's PBKDF2PasswordHasher (its own test vector): make_password("lètmein", "seasalt").
const DJANGO_HASH = "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=";

Deno.test("a hash made by Django verifies, and a wrong password does not", async () => {
  assert.equal(await checkPassword("lètmein", DJANGO_HASH), true);
  assert.equal(await checkPassword("letmein", DJANGO_HASH), false);
  assert.equal(await checkPassword("", DJANGO_HASH), false);
});

Deno.test("hashes are made as Django makes them and round-trip", async () => {
  assert.equal(
    await makePassword("lètmein", { salt: "seasalt", iterations: 1_000_000 }),
    DJANGO_HASH,
  );
  const encoded = await makePassword("s3cret-Password", { iterations: 1000 });
  const decoded = decodeHash(encoded)!;
  assert.equal(decoded.iterations, 1000);
  assert.match(decoded.salt, /^[A-Za-z0-9]{22}$/);
  assert.equal(await checkPassword("s3cret-Password", encoded), true);
  assert.equal(await checkPassword("s3cret-password", encoded), false);
  assert.ok(!encoded.includes("s3cret"));
});

Deno.test("new hashes use the current iteration count; older ones are due for an update", async () => {
  const current = await makePassword("x", { salt: "abc" });
  assert.ok(current.startsWith(`pbkdf2_sha256$${ITERATIONS}$abc$`));
  assert.equal(mustUpdate(current), false);
  assert.equal(mustUpdate(DJANGO_HASH), true);
});

Deno.test("salts are 22 letters and digits and differ", () => {
  const salts = new Set(Array.from({ length: 50 }, () => makeSalt()));
  assert.equal(salts.size, 50);
  for (const salt of salts) assert.match(salt, /^[A-Za-z0-9]{22}$/);
});

Deno.test("unusable and foreign hashes match nothing", async () => {
  assert.equal(await checkPassword("", unusablePassword()), false);
  assert.equal(await checkPassword("x", "md5$salt$abc"), false);
  assert.equal(await checkPassword("x", "pbkdf2_sha256$notanumber$salt$abc"), false);
  assert.equal(decodeHash("pbkdf2_sha256$0$salt$abc"), undefined);
});

Deno.test("constantTimeEqual compares whole strings", () => {
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
  assert.equal(constantTimeEqual("", ""), true);
});
