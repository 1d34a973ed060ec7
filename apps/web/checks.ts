// The web console's deployment checks (`manage check --deploy`, tag `security`), read from the
// settings: a console on a public address over plain HTTP, and allowed hosts that let any name in.

import type { Check, CheckMessage } from "../../core/checks.ts";
import { isLoopback, isWildcard, parseAddrport } from "./_hosts.ts";

const consoleDeployChecks: Check = ({ settings }) => {
  if (!settings) return [];
  const messages: CheckMessage[] = [];
  const { hostname } = parseAddrport(settings.console.addrport);
  if (!settings.console.https && (isWildcard(hostname) || !isLoopback(hostname))) {
    messages.push({
      level: "WARNING",
      id: "security.W008",
      msg: `The console listens on a public address (${settings.console.addrport}) over plain ` +
        "HTTP: passwords, session cookies and command output cross the network unencrypted.",
      hint: "Put it behind a proxy that terminates HTTPS and set console.https to true " +
        "(MANAGE_CONSOLE_HTTPS=true), or set console.addrport to a loopback address.",
      obj: "settings.console.addrport",
    });
  }
  if (settings.console.allowedHosts.includes("*")) {
    messages.push({
      level: "WARNING",
      id: "security.W020",
      msg: "console.allowedHosts contains '*': the console answers any host name, which lets " +
        "a DNS rebinding page reach it.",
      hint: "List the console's host names (console.example.com, .example.com).",
      obj: "settings.console.allowedHosts",
    });
  }
  return messages;
};

consoleDeployChecks.tags = ["security"];
consoleDeployChecks.deploy = true;

export default [consoleDeployChecks];
