export { Asha, rungOf, rungStep, type AshaConfig, type AshaDecision, type AshaGoal } from './asha.js';
export { EarlyStops, type EarlyStopsHost } from './early-stops.js';
export { RungLog } from './rung-log.js';
