/** Accounts and users: where each user belongs, unique user names, declared passwords. */
import type { AccountModel, TopologyDeclaration, UserModel } from "./model";
import { IssueList, TopologyPath, formatPath } from "./errors";
import { listOrNone } from "./groups";
import { secretKeys } from "./names";

export /** Users from `accounts.X.users` and top-level `users`, with their account references checked. */
function checkAccounts(d: TopologyDeclaration, issues: IssueList): { models: AccountModel[]; passwords: Map<string, string> } {
  const names = Object.keys(d.accounts ?? {});
  const models: AccountModel[] = names.map((name) => ({ name, users: [] }));
  const passwords = new Map<string, string>();
  const seen = new Map<string, TopologyPath>();

  const addUser = (path: TopologyPath, account: string, u: NonNullable<TopologyDeclaration["users"]>[number]) => {
    const prev = seen.get(u.user);
    if (prev) {
      issues.add([...path, "user"], `"${u.user}" is already used by ${formatPath(prev)}`);
      return;
    }
    seen.set(u.user, path);
    const model = models.find((m) => m.name === account);
    if (!model) return;
    const user: UserModel = { user: u.user, account, secret: secretKeys.user(account, u.user) };
    if (u.permissions) user.permissions = u.permissions;
    model.users.push(user);
    if (u.password !== undefined) passwords.set(user.secret, u.password);
  };

  for (const name of names) {
    (d.accounts?.[name]?.users ?? []).forEach((u, i) => {
      const path = ["accounts", name, "users", i];
      if (u.account !== undefined && u.account !== name) {
        issues.add([...path, "account"], `is "${u.account}" but the user is declared inside accounts.${name}; remove it or move the user`);
        return;
      }
      addUser(path, name, u);
    });
  }
  (d.users ?? []).forEach((u, i) => {
    const path = ["users", i];
    if (u.account === undefined) {
      issues.add([...path, "account"], `is required for a user declared outside accounts (known: ${listOrNone(names)})`);
      return;
    }
    if (!names.includes(u.account)) {
      const known = names.length ? `known: ${names.join(", ")}` : "no accounts declared";
      issues.add([...path, "account"], `no account named "${u.account}" (${known})`);
      return;
    }
    addUser(path, u.account, u);
  });
  return { models, passwords };
}
