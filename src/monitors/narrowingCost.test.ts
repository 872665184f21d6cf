import { describe, expect, it } from 'vitest';
import { narrowingCheaper, RAW_NARROWING_COST_RATIO } from './narrowingCost.js';

describe('narrowing’s cost rule', () => {
  it('narrows a window whose hours are built, and one whose unbuilt part costs less raw than the fallback', () => {
    expect(
      narrowingCheaper({ fallbackEvents: 1e6, builtEvents: 1e6, fallbackAvailable: true }),
    ).toBe(true);
    // 24 hours, the one just closed not built: 1/24 of the events read raw
    expect(
      narrowingCheaper({ fallbackEvents: 24e6, builtEvents: 23e6, fallbackAvailable: true }),
    ).toBe(true);
    // edges of a window otherwise built
    expect(
      narrowingCheaper({ fallbackEvents: 1_050_000, builtEvents: 1e6, fallbackAvailable: true }),
    ).toBe(true);
  });

  it('sends a window with no hour built, or too few, to the exact fallback', () => {
    expect(narrowingCheaper({ fallbackEvents: 1e6, builtEvents: 0, fallbackAvailable: true })).toBe(
      false,
    );
    // one hour built of two: the raw half costs more than the fallback's whole
    const half = 1 / RAW_NARROWING_COST_RATIO;
    expect(
      narrowingCheaper({
        fallbackEvents: 2e6,
        builtEvents: 2e6 * (1 - half) - 1,
        fallbackAvailable: true,
      }),
    ).toBe(false);
    expect(
      narrowingCheaper({
        fallbackEvents: 2e6,
        builtEvents: 2e6 * (1 - half) + 10,
        fallbackAvailable: true,
      }),
    ).toBe(true);
  });

  it('narrows whatever it costs when the window is past the fallback’s limit', () => {
    expect(
      narrowingCheaper({ fallbackEvents: 5e6, builtEvents: 0, fallbackAvailable: false }),
    ).toBe(true);
  });
});
