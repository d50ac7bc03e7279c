/** Shared helpers for broker tests: ports, server processes, raw sockets, seeded randomness. */
export * from "./ports";
export * from "./servers";
export * from "./raw";
export * from "./prng";
export * from "./http";
