// What a test needs that a machine may lack (a PostgreSQL server, Chromium, a shell), said once
// per test: `Deno.test(needs("server", { name, fn }))`. Where it is missing, the test is ignored
// with the reason in its name, so the runner's list and count of ignored tests say why; with
// CI=true it fails instead, saying what to install: a CI run cannot pass by skipping.

/** Something a test may need. */
export type Need =
  | "server"
  | "chromium"
  | "bash"
  | "zsh"
  | "fish"
  | "shellcheck"
  | "python3"
  | "django"
  | "python3-django"
  | "man";

/** The PostgreSQL server the tests use besides the embedded database (TEST_DATABASE_URL). */
export const SERVER_URL: string | undefined = Deno.env.get("TEST_DATABASE_URL") || undefined;

/** Whether this run is a CI run (CI=true, as CI services set it). */
export const IN_CI: boolean = ["true", "1"].includes(Deno.env.get("CI") ?? "");

/** The path of Chromium, which the browser test drives. */
export const CHROMIUM = "/usr/bin/chromium";

/** Django's common-password list where Debian's python3-django installs it. */
export const DJANGO_COMMON_PASSWORDS =
  "/usr/lib/python3/dist-packages/django/contrib/auth/common-passwords.txt.gz";

/** Django's management package where Debian's python3-django installs it (see tests/_django.ts). */
const DJANGO_MANAGEMENT = "/usr/lib/python3/dist-packages/django/core/management/__init__.py";
const DJANGO_ADMIN = "/usr/bin/django-admin";
const DJANGO_PYTHON = "/usr/bin/python3";

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  return dirs.some((dir) => isExecutable(`${dir}/${program}`));
}

const CHECKS: Record<Need, [() => boolean, string]> = {
  server: [() => SERVER_URL !== undefined, "no PostgreSQL server: set TEST_DATABASE_URL"],
  chromium: [() => isExecutable(CHROMIUM), `no ${CHROMIUM}: apt-get install chromium`],
  bash: [() => onPath("bash"), "no bash: apt-get install bash"],
  zsh: [() => onPath("zsh"), "no zsh: apt-get install zsh"],
  fish: [() => onPath("fish"), "no fish: apt-get install fish"],
  shellcheck: [() => onPath("shellcheck"), "no shellcheck: apt-get install shellcheck"],
  python3: [() => onPath("python3"), "no python3: apt-get install python3"],
  man: [() => onPath("man"), "no man: apt-get install man-db"],
  django: [
    () => isFile(DJANGO_COMMON_PASSWORDS),
    `no ${DJANGO_COMMON_PASSWORDS}: apt-get install python3-django`,
  ],
  "python3-django": [
    () => isExecutable(DJANGO_ADMIN) && isFile(DJANGO_MANAGEMENT),
    `no ${DJANGO_ADMIN} (Django for ${DJANGO_PYTHON}): apt-get install python3-django`,
  ],
};

/** Why `need` is missing on this machine, or undefined when it is there. */
export function missing(need: Need): string | undefined {
  const [present, reason] = CHECKS[need];
  return present() ? undefined : reason;
}

/**
 * A test (or step) definition that runs only where `need` is met: elsewhere it is ignored with
 * the reason in its name, or under CI=true it fails with it.
 */
export function needs<T extends { name: string; fn: (t: Deno.TestContext) => unknown }>(
  need: Need,
  definition: T,
): T {
  const reason = missing(need);
  if (reason === undefined) return definition;
  if (IN_CI) {
    return {
      ...definition,
      fn: () => {
        throw new Error(`CI=true, and this test cannot run: ${reason}`);
      },
    };
  }
  return { ...definition, name: `${definition.name} [ignored: ${reason}]`, ignore: true };
}
