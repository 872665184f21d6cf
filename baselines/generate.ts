// Regenerates the demo models' training files: npx tsx baselines/generate.ts
import fs from 'node:fs';
import {
  churnModel,
  deliveryTime,
  demoBaselineCsv,
  fraudDetector,
  ticketRouter,
} from '../src/demo/demoModels.js';

fs.writeFileSync('baselines/fraud-detector.csv', demoBaselineCsv(fraudDetector, 20_000, 11));
fs.writeFileSync('baselines/churn-model.csv', demoBaselineCsv(churnModel, 20_000, 12));
fs.writeFileSync('baselines/delivery-time.csv', demoBaselineCsv(deliveryTime, 20_000, 13));
fs.writeFileSync('baselines/ticket-router.csv', demoBaselineCsv(ticketRouter, 20_000, 14));
