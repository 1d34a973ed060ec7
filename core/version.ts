/** The version of manage, printed by `manage version` and `--version`. */
export const VERSION = "0.1.0";
