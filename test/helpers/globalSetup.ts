// Runs once before the suite. Kept as the single place where test-wide set-up belongs
// (building the Kafka mock-broker launcher, for instance).
export default async function setup(): Promise<void> {}
