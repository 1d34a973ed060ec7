// The kinds of migration operation, one line each: `export { <handler> as <kind> } from "./<file>"`.
// The entry module derives the `Operation` union and the handler record from these lines.

export { runSQLHandler as sql } from "./_run_sql.ts";
export { createModelHandler as createModel } from "./_create_model.ts";
export { deleteModelHandler as deleteModel } from "./_delete_model.ts";
export { addFieldHandler as addField } from "./_add_field.ts";
export { removeFieldHandler as removeField } from "./_remove_field.ts";
export { alterFieldHandler as alterField } from "./_alter_field.ts";
export { renameFieldHandler as renameField } from "./_rename_field.ts";
export { renameModelHandler as renameModel } from "./_rename_model.ts";
export { addIndexHandler as addIndex } from "./_add_index.ts";
export { removeIndexHandler as removeIndex } from "./_remove_index.ts";
