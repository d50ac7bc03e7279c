/** nats-server config files: parsing (with positions) and mapping to ServerOptions. */
export { ConfigError, formatPosition } from "./errors";
export type { Position } from "./errors";
export { parseConfigText, parseConfigFile } from "./parser";
export type { ConfigEnv } from "./parser";
export { toPlain, findEntry } from "./tree";
export type { ConfigDocument, ConfValue, ConfMap, ConfArray, ConfEntry } from "./tree";
export { parseGoDuration } from "./duration";
export {
  optionsFromConfig,
  loadConfigFile,
  describeReloadChanges,
  RELOAD_REFUSED,
  IGNORED_TOP_LEVEL_KEYS,
} from "./options";
export type {
  LoadedConfig,
  ConfigServerOptions,
  ResolverConfig,
  ReloadChanges,
  SubjectMappings,
  MappingDestination,
} from "./options";
