/** "Did you mean" for names a user typed: topology keys, enum values, host interfaces. */
import { closest, distance } from "fastest-levenshtein";

/** A candidate close enough to be a typo; also catches camelCase written for kebab-case. */
export function didYouMean(word: string, candidates: string[]): string | null {
  if (candidates.length === 0) return null;
  const kebab = word.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, "-");
  if (kebab !== word && candidates.includes(kebab)) return kebab;
  const best = closest(word.toLowerCase(), candidates);
  return distance(word.toLowerCase(), best) <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}
