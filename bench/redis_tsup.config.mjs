// The package build (tsup.config.ts) plus the `multiproc/redis` entry, for bench/redis.mjs: Node and
// Bun load the Redis backend from dist/ as users would, before the package build has that entry.
// (Plain JavaScript, outside the type check: tsup.config.ts is not written for it.)
import base from "../tsup.config.ts";

export default {
  ...base,
  entry: { ...base.entry, redis: "redis.ts" },
  dts: false,
};
