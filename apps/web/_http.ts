// What the console's handlers share: their options, responses with the console's security
// headers, cookies, and the commands' declarations (loaded once).

import type { Database } from "../../core/database.ts";
import { loadCommand } from "../../core/checks.ts";
import type { Command } from "../../core/command.ts";
import { findCommand, type Registry, type RegistryEntry } from "../../core/registry.ts";
import type { Html } from "./html.ts";

/** How the console runs. */
export interface ConsoleOptions {
  /** The database: jobs, users, sessions. */
  db: Database;
  /** The database commands run now get as `ctx.db`; `db` by default. */
  jobDatabase?: () => Promise<Database>;
  /** The registry: the commands offered. */
  registry: Registry;
  /** The environment commands are checked and run with. */
  env: Readonly<Record<string, string | undefined>>;
  /** The working directory commands run in. */
  cwd: string;
  /** Aborting it ends the event streams (the server is stopping). */
  signal?: AbortSignal;
  /** How often a job page's stream looks at its job, in ms (250). */
  pollInterval?: number;
  /** How often the dashboard's stream reads the queue again, in ms (2000). */
  dashboardInterval?: number;
  /** How long a command run now may take, in ms (60000). */
  inlineTimeout?: number;
  /** Where each request is logged (method, path, status, time; never a query string or body). */
  log?: (line: string) => void;
  /**
   * The host names the console answers, as Django's `ALLOWED_HOSTS`: a name, `.example.com` for
   * a domain and its subdomains, `*` for any. A request for another name is answered 400. By
   * default `.localhost`, `127.0.0.1` and `[::1]`.
   */
  allowedHosts?: readonly string[];
}

/** The name of the session cookie. */
export const SESSION_COOKIE = "manage_session";
/** The name of the cookie that carries the login form's CSRF token (no session yet). */
export const LOGIN_CSRF_COOKIE = "manage_csrf";

/** A request's cookies. */
export function cookies(request: Request): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return jar;
}

/** Whether the request came over HTTPS (here, or to a proxy that says so). */
export function isSecure(request: Request): boolean {
  return new URL(request.url).protocol === "https:" ||
    request.headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase() === "https";
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, and Secure over HTTPS. */
export function setCookie(
  request: Request,
  name: string,
  value: string,
  maxAgeSeconds?: number,
): string {
  return [
    `${name}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    ...(maxAgeSeconds === undefined ? [] : [`Max-Age=${maxAgeSeconds}`]),
    ...(isSecure(request) ? ["Secure"] : []),
  ].join("; ");
}

/** A random nonce for a page's own script. */
export function makeNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

function securityHeaders(headers: Headers, nonce?: string): Headers {
  headers.set("x-content-type-options", "nosniff");
  headers.set("x-frame-options", "DENY");
  headers.set("referrer-policy", "same-origin");
  headers.set(
    "content-security-policy",
    "default-src 'none'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self'; " +
      `connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'` +
      (nonce ? `; script-src 'nonce-${nonce}'` : ""),
  );
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  return headers;
}

/** An HTML page. */
export function page(
  body: Html,
  init: { status?: number; nonce?: string; headers?: HeadersInit } = {},
): Response {
  const headers = securityHeaders(new Headers(init.headers), init.nonce);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(body.text, { status: init.status ?? 200, headers });
}

/** A JSON response. */
export function json(value: unknown, status = 200, init: { headers?: HeadersInit } = {}): Response {
  const headers = securityHeaders(new Headers(init.headers));
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(value), { status, headers });
}

/**
 * A response of server-sent events made by polling: `poll(send)` runs at once and then every
 * `intervalMs`, until it returns false, the client goes, or one of `signals` aborts; an error it
 * throws (unless the stream was ending anyway) goes to `failed`, and the stream ends. Never cached
 * or sniffed.
 */
export function pollingEventStream(
  signals: readonly AbortSignal[],
  intervalMs: number,
  poll: (send: (text: string) => void) => Promise<boolean | void>,
  failed: (error: Error) => void,
): Response {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  const done = AbortSignal.any([stop.signal, ...signals]);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      try {
        while (!done.aborted) {
          if ((await poll(send)) === false) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, intervalMs);
            done.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            }, { once: true });
          });
        }
      } catch (error) {
        if (!done.aborted) failed(error as Error);
      } finally {
        try {
          controller.close();
        } catch {
          // The client has gone: the stream is closed already.
        }
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

/** A redirect after a form (303: the next request is a GET). */
export function redirect(location: string, headers: HeadersInit = {}): Response {
  const all = securityHeaders(new Headers(headers));
  all.set("location", location);
  return new Response(null, { status: 303, headers: all });
}

/** A static file's response, cached for a while. */
export function asset(text: string, type: string): Response {
  const headers = securityHeaders(new Headers({ "cache-control": "public, max-age=3600" }));
  headers.set("content-type", type);
  return new Response(text, { headers });
}

// The origin `next` is resolved against: any origin of the site's own would do, since only the
// path, query and fragment of a same-origin result are kept.
const SITE = "http://console.invalid";

/**
 * Where to go after logging in: `next` resolved as a browser resolves a `Location`, kept only
 * when it stays on this site (not `//elsewhere`, `/\elsewhere`, `/<tab>/elsewhere`,
 * `https://elsewhere` or `javascript:`), as its normalized path and query; the home (the
 * dashboard) otherwise.
 */
export function safeNext(next: string | null | undefined): string {
  const fallback = "/";
  if (!next) return fallback;
  let url: URL;
  try {
    url = new URL(next, `${SITE}/`);
  } catch {
    return fallback;
  }
  // `/.//elsewhere` resolves to the path `//elsewhere`, which a browser reads as a host.
  if (url.origin !== SITE || url.pathname.startsWith("//")) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The commands' loaded declarations, by name, loaded on first use. */
export class CommandCache {
  readonly #loaded = new Map<string, Promise<Command>>();
  constructor(readonly registry: Registry) {}

  /** The registry entry and command of `name`, or undefined when there is no such command. */
  async get(name: string): Promise<{ entry: RegistryEntry; command: Command } | undefined> {
    const entry = findCommand(this.registry, name);
    if (!entry) return undefined;
    let loading = this.#loaded.get(name);
    if (!loading) {
      loading = loadCommand(entry);
      loading.catch(() => this.#loaded.delete(name));
      this.#loaded.set(name, loading);
    }
    return { entry, command: await loading };
  }
}
