// Django's default password validators and its username and email rules, with Django's
// messages; reference ratios from Python's difflib.

import assert from "node:assert/strict";
import {
  commonPassword,
  minimumLength,
  numericPassword,
  quickRatio,
  userAttributeSimilarity,
  validatePassword,
} from "../../../apps/auth/password_validation.ts";
import {
  normalizeEmail,
  systemUsername,
  validateEmail,
  validateUsername,
} from "../../../apps/auth/users.ts";

const TOO_SHORT = "This password is too short. It must contain at least 8 characters.";
const TOO_COMMON = "This password is too common.";
const NUMERIC = "This password is entirely numeric.";
const SIMILAR_USERNAME = "The password is too similar to the username.";
const SIMILAR_EMAIL = "The password is too similar to the email address.";

Deno.test("quickRatio is difflib's SequenceMatcher.quick_ratio()", () => {
  // Values printed by Python 3: SequenceMatcher(a=a, b=b).quick_ratio().
  const cases: [string, string, number][] = [
    ["abcd", "bcde", 0.75],
    ["password", "drowssap", 1.0],
    ["johndoe123", "johndoe", 0.8235294117647058],
    ["testclient", "example", 0.35294117647058826],
    ["bob12", "bob", 0.75],
    ["xyzzy-plugh-42", "bob", 0.0],
    ["ännä", "anna", 0.5],
    ["", "x", 0.0],
    ["", "", 1.0],
  ];
  for (const [a, b, ratio] of cases) assert.equal(quickRatio(a, b), ratio, `${a} / ${b}`);
});

Deno.test("similarity to the username or to any part of the email address", () => {
  const user = { username: "testclient", email: "testclient@example.com" };
  // Django's own test cases.
  assert.deepEqual(userAttributeSimilarity("testclient", user), [SIMILAR_USERNAME]);
  assert.deepEqual(userAttributeSimilarity("example.com", { email: user.email }), [
    SIMILAR_EMAIL,
  ]);
  assert.deepEqual(userAttributeSimilarity("TestClient99", user), [SIMILAR_USERNAME]);
  assert.deepEqual(userAttributeSimilarity("testclient"), [], "no user, nothing to compare");
  assert.deepEqual(userAttributeSimilarity("Xyzzy-plugh-42", user), []);
  // A value a tenth of the password's length or less cannot be similar: not compared.
  assert.deepEqual(userAttributeSimilarity("a".repeat(30), { username: "aaa" }), []);
  // 0.7368… for "poppins", from difflib.
  assert.deepEqual(
    userAttributeSimilarity("Mary-Poppins", { firstName: "Mary", lastName: "Poppins" }),
    ["The password is too similar to the last name."],
  );
  assert.deepEqual(userAttributeSimilarity("Mary-Poppins", { firstName: "Mary" }), []);
});

Deno.test("minimum length, common passwords, entirely numeric", async () => {
  assert.deepEqual(minimumLength("1234567"), [TOO_SHORT]);
  assert.deepEqual(minimumLength("12345678"), []);
  assert.deepEqual(minimumLength("ééééééé"), [TOO_SHORT], "characters, not bytes");
  for (const common of ["password", "123456", "qwerty", "letmein", "Password1", " iloveyou "]) {
    assert.deepEqual(await commonPassword(common), [TOO_COMMON], common);
  }
  assert.deepEqual(await commonPassword("Xyzzy-plugh-42"), []);
  assert.deepEqual(numericPassword("20251126"), [NUMERIC]);
  assert.deepEqual(numericPassword("2025-11-26"), []);
  assert.deepEqual(numericPassword(""), []);
});

Deno.test("validatePassword gives every message, in Django's order", async () => {
  assert.deepEqual(await validatePassword("bob12", { username: "bob" }), [
    SIMILAR_USERNAME,
    TOO_SHORT,
  ]);
  assert.deepEqual(await validatePassword("123"), [TOO_SHORT, TOO_COMMON, NUMERIC]);
  assert.deepEqual(await validatePassword("Xyzzy-plugh-42", { username: "bob" }), []);
});

Deno.test("usernames and email addresses follow Django's rules and messages", () => {
  assert.deepEqual(validateUsername("ann.smith+admin@corp-1_x"), []);
  assert.deepEqual(validateUsername("Zoë"), []);
  assert.deepEqual(validateUsername(""), ["This field cannot be blank."]);
  assert.deepEqual(validateUsername("ann smith"), [
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  ]);
  assert.deepEqual(validateUsername("a".repeat(151)), [
    "Ensure this value has at most 150 characters (it has 151).",
  ]);
  for (const email of ["", "ann@example.com", "a.b+c@sub.example.co.uk", "root@localhost"]) {
    assert.deepEqual(validateEmail(email), [], email);
  }
  for (const email of ["ann", "ann@", "@example.com", "ann@example", "a b@example.com"]) {
    assert.deepEqual(validateEmail(email), ["Enter a valid email address."], email);
  }
  assert.equal(normalizeEmail("Ann.Smith@EXAMPLE.Com"), "Ann.Smith@example.com");
});

Deno.test("the default username is the system user's, as Django makes it", () => {
  assert.equal(systemUsername({ LOGNAME: "alice", USER: "bob" }), "alice");
  assert.equal(systemUsername({ USER: "Bob" }), "bob");
  assert.equal(systemUsername({ USERNAME: "José Ramírez" }), "joseramirez");
  assert.equal(systemUsername({ USER: "bad/name" }), "");
  assert.equal(systemUsername({}), "");
});
