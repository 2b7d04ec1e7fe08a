import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { serveParent } from './child.js';

// Custodia's real server for the HTTP benchmark, configured from the
// environment the parent hands over (LOG_LEVEL=silent), as `npm start` is
// minus .env.
const running = await startApp(loadConfig(process.env));
serveParent(running.url, () => running.stop());
