// The benchmarks' event shape: ~600-byte predictions, 20 numeric + 5 categorical features,
// made from a thousand prepared feature sets so that making them costs the client little.
const CATEGORIES = ['grocery', 'travel', 'electronics', 'gaming', 'fuel'];

/** Feature sets made once: the producer's own CPU is not what is measured. */
const FEATURE_TEXTS = Array.from({ length: 1000 }, (_, i) => {
  const features = {};
  for (let f = 0; f < 20; f += 1) features[`num_${f}`] = Math.round(Math.random() * 1e6) / 1e3;
  for (let f = 0; f < 5; f += 1) features[`cat_${f}`] = CATEGORIES[(i + f) % CATEGORIES.length];
  return JSON.stringify(features);
});
const COUNTRIES = ['US', 'GB', 'DE'];

export function eventText(i, ts) {
  return (
    `{"event_id":"e${i}","model":"bench-model","model_version":"v1","ts":"${ts}",` +
    `"prediction_id":"p${i}","features":${FEATURE_TEXTS[i % FEATURE_TEXTS.length]},` +
    `"score":${((i * 7919) % 10_000) / 10_000},"attributes":{"country":"${COUNTRIES[i % 3]}"}}`
  );
}
