// The task functions of examples/distributed_pool.ts: the worker nodes load this module
// (`multiproc worker ... --module examples/distributed_tasks.ts`), and the caller imports it, so
// both name it by the same path in the project: examples/distributed_tasks.ts.
// expect: ^$

/** How many primes lie in [lo, hi). */
export function countPrimes([lo, hi]: [number, number]): number {
  let count = 0;
  for (let n = Math.max(lo, 2); n < hi; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
