export { openArtifacts, listArtifacts, removeSweepArtifacts, createSweepArtifacts } from './sweep-artifacts.js';
export { fetchArtifacts, ArtifactPathError } from './fetch-artifacts.js';
