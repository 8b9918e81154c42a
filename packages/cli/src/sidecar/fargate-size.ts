// Fargate's task sizes (CPU units -> the memory sizes it allows, MiB), from the ECS developer guide's
// "Task CPU and memory" table: a task that needs more than it has is moved to the smallest size that fits.
const FARGATE_SIZES: ReadonlyArray<readonly [number, readonly number[]]> = [
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16_384, 1024)],
  [4096, range(8192, 30_720, 1024)],
  [8192, range(16_384, 61_440, 4096)],
  [16_384, range(32_768, 122_880, 8192)],
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** The smallest Fargate size with at least `cpu` units and `memory` MiB, or undefined if none. */
export function smallestFargateSize(
  cpu: number,
  memory: number,
): { cpu: number; memory: number } | undefined {
  for (const [units, memories] of FARGATE_SIZES) {
    if (units < cpu) continue;
    const fit = memories.find((m) => m >= memory);
    if (fit !== undefined) return { cpu: units, memory: fit };
  }
  return undefined;
}
