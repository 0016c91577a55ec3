export { dailyPipeline, progressQuery } from './daily-pipeline';
