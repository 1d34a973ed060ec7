// The build stamp of a source run: none. `scripts/compile.ts` compiles the binary with an import
// map that puts a generated module with the build's facts in this one's place (typed there as
// the BuildStamp of `_build.ts`, which reads it; this module imports nothing, so the two are no
// circle).

/** The build stamp: undefined here, in the sources. */
export const STAMP: unknown = undefined;
