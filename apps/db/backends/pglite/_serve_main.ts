// The background server's program (see `_serve.ts`), started by `_background.ts` as
// `deno run … _serve_main.ts '<ServeSpec as JSON>'`: as `cli.ts` is for a command, it is the
// edge of its process, and gives the server what it needs of it.

import type { ServeSpec } from "./_background.ts";
import { serve } from "./_serve.ts";

const encoder = new TextEncoder();

Deno.exit(
  await serve(JSON.parse(Deno.args[0]) as ServeSpec, {
    env: Deno.env.toObject(),
    pid: Deno.pid,
    cwd: Deno.cwd(),
    write: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
    closeOutput: () => Deno.stdout.close(),
    exit: (code) => Deno.exit(code),
  }),
);
