/**
 * Names listed in a check's result (new categories, missing and new features) are capped:
 * a window with 130,000 new feature names would otherwise store and send megabytes with every
 * result. The first MAX_LISTED_NAMES are kept in order, and `<key>_omitted` says how many
 * more there were (present only when some were left out); the result's value is the whole
 * count.
 */
export const MAX_LISTED_NAMES = 100;

export function listedNames(
  key: string,
  names: readonly string[],
  max = MAX_LISTED_NAMES,
): Record<string, string[] | number> {
  if (names.length <= max) return { [key]: [...names] };
  return { [key]: names.slice(0, max), [`${key}_omitted`]: names.length - max };
}
