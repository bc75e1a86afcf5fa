// `variants`: the runnable bug-zoo variants, one per line, tab-separated (lines starting with # are commentary).
import { VARIANTS, VARIANT_NAMES } from '../engine/variants.js';

/** Size of the spec's bug zoo (Z1..Z12); entries without a runnable variant are listed as commentary. */
export const ZOO_SIZE = 12;

function ranges(ns: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length; ) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    parts.push(j === i ? `Z${ns[i]}` : `Z${ns[i]}-Z${ns[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function variantLines(): string[] {
  const lines = ['# NAME\tZOO\tCOMMIT (or "design")\tCAUGHT BY'];
  const zoo = new Set<number>();
  for (const name of VARIANT_NAMES) {
    const v = VARIANTS[name];
    zoo.add(Number(v.zoo.replace(/^Z/, '')));
    lines.push(`${name}\t${v.zoo}\t${v.commit}\t${v.catches}`);
  }
  const missing = Array.from({ length: ZOO_SIZE }, (_, i) => i + 1).filter((n) => !zoo.has(n));
  if (missing.length) lines.push(`# ${ranges(missing)}: not runnable variants yet (added by the bug-zoo issue)`);
  lines.push('# use with: npm run cli -- stress --variant NAME [--variant NAME]... (on top of --profile, default fixed)');
  return lines;
}

export function variantsCommand(): number {
  process.stdout.write(variantLines().join('\n') + '\n');
  return 0;
}
