/**
 * An account: its own subject space. Clients of one account never see another's messages
 * except through exports/imports (added by the security work).
 */
import { Sublist } from "./sublist";
import type { DeliverySub } from "./message";
import type { AccountLinks } from "./accounts";
import type { SubjectMapper } from "./accounts/mapping";

export class Account {
  readonly sublist = new Sublist<DeliverySub>();
  /** Client connections bound to this account. */
  clients = 0;
  /** Exports/imports reaching other accounts (null: none, the common case). */
  links: AccountLinks | null = null;
  /** Subject mappings applied to what its clients and leaf nodes publish (null: none). */
  mappings: SubjectMapper | null = null;
  constructor(readonly name: string) {}
}

/** nats-server's name for the global account every client lands in without accounts. */
export const GLOBAL_ACCOUNT = "$G";
export const SYSTEM_ACCOUNT = "$SYS";
