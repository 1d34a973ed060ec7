/**
 * The auth app's model: `User`, in Django's `auth_user` table with Django's columns, so users
 * (and their `pbkdf2_sha256` password hashes, see `hashers.ts`) move between a Django project
 * and this one. `manage createsuperuser` makes one; `manage changepassword` sets a password.
 *
 * @module
 */

import { defineModel, field } from "../db/orm/mod.ts";

/** The longest username Django allows (its `max_length`). */
export const USERNAME_MAX_LENGTH = 150;

/** A user (table `auth_user`): a unique username, a password hash and Django's flags. */
export const User = defineModel("auth.User", {
  /** The hash, `pbkdf2_sha256$…` (or `!…`, unusable): never the password itself. */
  password: field.varchar(128),
  lastLogin: field.timestamptz({ null: true }),
  isSuperuser: field.boolean({ default: false }),
  username: field.varchar(USERNAME_MAX_LENGTH, { unique: true }),
  firstName: field.varchar(150, { default: "" }),
  lastName: field.varchar(150, { default: "" }),
  email: field.varchar(254, { default: "" }),
  isStaff: field.boolean({ default: false }),
  isActive: field.boolean({ default: true }),
  dateJoined: field.timestamptz({ default: "now()" }),
}, {
  table: "auth_user",
  // Django's fixtures of users give these; this project has no groups or permissions yet.
  manyToMany: { groups: "auth.Group", user_permissions: "auth.Permission" },
});
