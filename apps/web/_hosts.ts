// The host names the console answers, as Django's ALLOWED_HOSTS: a request for any other name
// (a DNS rebinding page, whose name points at this machine) is refused before anything is read.

import { CommandError } from "../../core/errors.ts";

/** Answered when no list is given: this machine's own names, as Django's in DEBUG. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = [".localhost", "127.0.0.1", "[::1]"];

// Django's host_validation_re: a name or address, or a bracketed IPv6 address, and a port.
const HOST = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::\d+)?$/;
// An entry of the list: the same without the port, a domain with its leading dot, or `*`.
const ENTRY = /^(\*|\.?[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])$/;

/** An entry of an allow-list as it is compared: lower case, IPv6 in brackets. */
function normalizeEntry(entry: string): string {
  const host = entry.trim().toLowerCase();
  return /^[0-9a-f.]*:[0-9a-f.:]*$/.test(host) ? `[${host}]` : host;
}

/**
 * Reads a comma-separated list (`--allowed-hosts`): names (`console.example.com`), a leading dot
 * for a domain and its subdomains (`.example.com`), `*` for any name; gives an error message
 * for an entry that is none of these.
 */
export function parseAllowedHosts(text: string): string[] | string {
  const hosts = text.split(",").map(normalizeEntry).filter((entry) => entry !== "");
  if (hosts.length === 0) return "--allowed-hosts is empty: give at least one host name";
  for (const host of hosts) {
    if (!ENTRY.test(host)) {
      return `--allowed-hosts: '${host}' is not a host name (give names without a scheme, ` +
        "path or port, such as console.example.com or .example.com)";
    }
  }
  return hosts;
}

/** The host a request asked for, lower case and without its port, or undefined when malformed. */
export function requestHost(request: Request): string | undefined {
  const header = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
  const match = HOST.exec(header);
  return match ? match[1].replace(/\.$/, "") : undefined;
}

/** Whether `host` (from {@linkcode requestHost}) is one of `allowed`, as Django matches them. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) =>
    entry === "*" || entry === host ||
    (entry.startsWith(".") && (host === entry.slice(1) || host.endsWith(entry)))
  );
}

/** The request's Host header as it may be printed: visible ASCII, at most 100 characters. */
export function printableHost(request: Request): string {
  return (request.headers.get("host") ?? "").replace(/[^\x21-\x7e]/g, "?").slice(0, 100);
}

/** Whether an address to listen on is every address of the machine (`0.0.0.0`, `::`). */
export function isWildcard(hostname: string): boolean {
  return ["0.0.0.0", "::", "[::]", ""].includes(hostname);
}

/** Whether an address to listen on is reachable only from this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The default list for a server listening on `hostname`: the local names, and that address. */
export function defaultAllowedHosts(hostname: string): string[] {
  const own = normalizeEntry(hostname);
  const hosts = [...DEFAULT_ALLOWED_HOSTS];
  if (!isWildcard(hostname) && !hostAllowed(own, hosts)) hosts.push(own);
  return hosts;
}

const DEFAULT_ADDR = "127.0.0.1";
const DEFAULT_PORT = 8000;

/** `8000`, `0.0.0.0:8000`, `[::1]:8000`, `localhost:8000`, as Django's runserver reads them. */
export function parseAddrport(text: string | undefined): { hostname: string; port: number } {
  if (text === undefined || text === "") return { hostname: DEFAULT_ADDR, port: DEFAULT_PORT };
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)|([0-9a-fA-F:]*:[0-9a-fA-F:.]*))?:?(\d+)$/
    .exec(text);
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port <= 65535) return { hostname: DEFAULT_ADDR, port };
  } else if (match && text.includes(":")) {
    const port = Number(match[4]);
    const hostname = match[1] ?? match[2] ?? match[3];
    if (port <= 65535 && hostname) return { hostname, port };
  }
  throw new CommandError(`"${text}" is not a valid port number or address:port pair.`);
}
