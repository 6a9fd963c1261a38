export { openArtifacts, listArtifacts, removeSweepArtifacts, createSweepArtifacts } from './sweep-artifacts.js';
