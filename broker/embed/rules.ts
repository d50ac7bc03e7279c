/**
 * Whole-server rules for options objects: the cross-field checks nats-server makes once a
 * config file is read (accounts and imports exist, users are unique, no_auth_user is a user).
 */
import { ServerOptionsInput, UserConfig } from "../options";
import { accountSpecFromConfig, exportFor } from "../accounts/index";
import { OptionsError } from "./checks";

export function checkAccounts(o: ServerOptionsInput): void {
  const accounts = o.accounts ?? [];
  const names = new Map<string, number>();
  accounts.forEach((a, i) => {
    if (names.has(a.name)) throw new OptionsError(`accounts[${i}].name`, `account ${JSON.stringify(a.name)} is defined twice`);
    names.set(a.name, i);
  });
  const specs = new Map(accounts.map((a) => [a.name, accountSpecFromConfig(a)]));
  accounts.forEach((a, i) => {
    (a.exports ?? []).forEach((e, j) => {
      for (const name of e.accounts ?? []) {
        if (!names.has(name)) throw new OptionsError(`accounts[${i}].exports[${j}].accounts`, `account ${JSON.stringify(name)} is not defined`);
      }
    });
    (a.imports ?? []).forEach((imp, j) => {
      const kind = "stream" in imp ? "stream" : "service";
      const src = "stream" in imp ? imp.stream : imp.service;
      const at = `accounts[${i}].imports[${j}].${kind}.account`;
      const exporter = specs.get(src.account);
      if (!exporter) throw new OptionsError(at, `account ${JSON.stringify(src.account)} is not defined`);
      if (!exportFor(exporter.exports, kind, src.subject, a.name)) {
        throw new OptionsError(at, `account ${JSON.stringify(src.account)} does not export ${kind} ${JSON.stringify(src.subject)} to ${JSON.stringify(a.name)}`);
      }
    });
  });
  if (o.systemAccount !== undefined && !o.operator && o.systemAccount !== "$SYS" && !names.has(o.systemAccount)) {
    throw new OptionsError("systemAccount", `account ${JSON.stringify(o.systemAccount)} is not one of accounts`);
  }
}

export function checkUsers(o: ServerOptionsInput): void {
  const all: Array<{ u: UserConfig; at: string }> = [];
  (o.authorization?.users ?? []).forEach((u, i) => all.push({ u, at: `authorization.users[${i}]` }));
  (o.accounts ?? []).forEach((a, i) => (a.users ?? []).forEach((u, j) => all.push({ u, at: `accounts[${i}].users[${j}]` })));
  const seen = new Set<string>();
  for (const { u, at } of all) {
    const id = u.nkey ?? u.user ?? "";
    if (seen.has(id)) throw new OptionsError(at, `user ${JSON.stringify(id)} is defined more than once`);
    seen.add(id);
  }
  const single = o.authorization?.user !== undefined || o.authorization?.token !== undefined;
  if (single && (o.accounts ?? []).some((a) => (a.users ?? []).length > 0)) {
    throw new OptionsError("authorization", "cannot have a single user or token and users in accounts");
  }
  if (o.noAuthUser !== undefined && !seen.has(o.noAuthUser)) {
    throw new OptionsError("noAuthUser", `${JSON.stringify(o.noAuthUser)} is not a user of authorization.users or of an account`);
  }
}
