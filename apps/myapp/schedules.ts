// The app's periodic commands: every `manage worker` enqueues each tick once (see README,
// "Background jobs"). Times are UTC.

import { defineSchedule } from "../../mod.ts";

export default [
  defineSchedule({ name: "myapp.nightly_status", command: "show_status", cron: "0 3 * * *" }),
];
