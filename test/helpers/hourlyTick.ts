/**
 * Tests that run a window "now" on a monitor scheduled hourly (what `driftwatch init`
 * writes) stay clear of the hour: at start the service evaluates the latest hourly window,
 * and on the hour the scheduler does; the alert stage takes each window once and in order,
 * so a test's own window must not be the hour's, nor older than an hour that passes while
 * the test runs. Waits (at most three minutes) while the UTC minute is 58, 59 or 0.
 */
export async function clearOfTheHour(): Promise<void> {
  while ([58, 59, 0].includes(new Date().getUTCMinutes())) {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}
