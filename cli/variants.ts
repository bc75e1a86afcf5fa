// `variants`: the runnable bug-zoo variants, one per line, tab-separated (lines starting with # are commentary).
import { VARIANTS, VARIANT_NAMES } from '../engine/variants.js';

/** Size of the spec's bug zoo (Z1..Z12); entries without a runnable variant are listed as commentary. */
export const ZOO_SIZE = 12;

/** Why a zoo entry has no variant on the profiles that exist. */
const NOT_RUNNABLE: Record<number, string> = {
  11: 'short-term wait timeout (d9df72c6acd6) belongs to the v6.7 protocol (destroy waits for shortterm_users with a timeout); there is no v6.7 profile yet, so it is left for that work',
};

export function variantLines(): string[] {
  const lines = ['# NAME\tZOO\tCOMMIT (or "design")\tCAUGHT BY'];
  const zoo = new Set<number>();
  for (const name of VARIANT_NAMES) {
    const v = VARIANTS[name];
    zoo.add(Number.parseInt(v.zoo.replace(/^Z/, ''), 10));
    lines.push(`${name}\t${v.zoo}\t${v.commit}\t${v.catches}`);
  }
  const missing = Array.from({ length: ZOO_SIZE }, (_, i) => i + 1).filter((n) => !zoo.has(n));
  for (const n of missing) lines.push(`# Z${n}: ${NOT_RUNNABLE[n] ?? 'no runnable variant yet'}`);
  lines.push('# use with: npm run cli -- stress --variant NAME [--variant NAME]... (on top of --profile, default fixed)');
  return lines;
}

export function variantsCommand(): number {
  process.stdout.write(variantLines().join('\n') + '\n');
  return 0;
}
