import { createModel, defineMigration } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [
    createModel({
      app: "myapp",
      name: "MyModel",
      table: "myapp_mymodel",
      fields: {
        id: { type: "bigserial", column: "id", null: false, unique: false, primaryKey: true },
        name: {
          type: "varchar",
          column: "name",
          maxLength: 100,
          null: false,
          unique: false,
          primaryKey: false,
        },
      },
      indexes: [],
    }),
  ],
});
