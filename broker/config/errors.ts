/**
 * Where a config value came from. Lines and columns are 1-based so that editors can jump to
 * them; nats-server's own column count is 0-based on the first line only, which we do not copy.
 */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/** `file:line:col` as compilers and editors print it. */
export function formatPosition(pos: Position): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/**
 * Any problem with a config file. The message always starts with the position so that a
 * caller can print it as is; `problem` keeps the bare description for tests and tools.
 */
export class ConfigError extends Error {
  readonly position: Position;
  readonly problem: string;

  constructor(position: Position, problem: string) {
    super(`${formatPosition(position)}: ${problem}`);
    this.name = "ConfigError";
    this.position = position;
    this.problem = problem;
  }
}
