// The build stamp of a source run: none. `scripts/compile.ts` compiles the binary with an import
// map that puts a generated module with the build's facts in this one's place.

import type { BuildStamp } from "./_build.ts";

/** The build stamp: undefined here, in the sources. */
export const STAMP: BuildStamp | undefined = undefined;
