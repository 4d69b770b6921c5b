// Loaded before every test file (npm test: node --import): the test runner is a boundary like the
// CLI, so it settles the execution options from the environment (MAT_THREADS, MAT_NATIVE…) once.
import { setExecutionDefaults } from '../src/engine/execution.js';
import { executionFromEnvironment } from '../src/environment.js';

setExecutionDefaults(executionFromEnvironment());
