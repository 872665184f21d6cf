// Regenerates the demo models' training files: npx tsx baselines/generate.ts
import fs from 'node:fs';
import { churnModel, demoBaselineCsv, fraudDetector } from '../src/demo/demoModels.js';

fs.writeFileSync('baselines/fraud-detector.csv', demoBaselineCsv(fraudDetector, 20_000, 11));
fs.writeFileSync('baselines/churn-model.csv', demoBaselineCsv(churnModel, 20_000, 12));
