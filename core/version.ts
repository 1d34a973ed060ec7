import config from "../deno.json" with { type: "json" };

/** The version of manage, printed by `manage version` and `--version`: deno.json's `version`. */
export const VERSION: string = config.version;
