/**
 * The seed's model: `MyModel`, with a name. `manage makemigrations myapp` writes its migration;
 * `my_custom_command` lists its rows.
 *
 * @module
 */

import { defineModel, field } from "../../mod.ts";

/** An object with a name (table `myapp_mymodel`). */
export const MyModel = defineModel("myapp.MyModel", {
  name: field.varchar(100),
});
