// The labs' free-port finder, for tests on 127.0.0.1.
export { getFreePort, getFreePorts } from '../../src/measure/drill/ports.js';
